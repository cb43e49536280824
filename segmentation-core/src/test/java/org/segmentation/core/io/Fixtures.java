package org.segmentation.core.io;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates committed test resources. */
final class Fixtures {
    private Fixtures() {
    }

    /** The path of a test resource, e.g. {@code "io/img_rgb.png"} or {@code "images/camera.png"}. */
    static Path path(String resource) {
        URL url = Fixtures.class.getResource("/" + resource);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + resource);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
