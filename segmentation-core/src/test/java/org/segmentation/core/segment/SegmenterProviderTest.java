package org.segmentation.core.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.LabelMap;

class SegmenterProviderTest {
    /** A user's provider, found through a services file that only the test's class loader sees. */
    public static final class UserProvider implements SegmenterProvider {
        @Override
        public void registerAll(SegmenterRegistry registry) {
            registry.register("user-ones", "class 1 everywhere", () -> Segmenter.of("user-ones",
                    Segmenter.Output.CLASSES, in -> new LabelMap(in.width(), in.height()).fill(1)));
        }
    }

    private static ClassLoader withServicesFile(Path dir, String content) throws Exception {
        Path services = dir.resolve("META-INF/services/" + SegmenterProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, content);
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, SegmenterProviderTest.class.getClassLoader());
    }

    @Test
    void providersOnTheClassPathAddTheirSegmenters(@TempDir Path dir) throws Exception {
        ClassLoader loader = withServicesFile(dir, UserProvider.class.getName() + "\n");
        SegmenterRegistry registry = new SegmenterRegistry().registerBaselines().registerProviders(loader);
        List<String> names = registry.names();
        assertEquals(List.of(Baselines.MEAN_THRESHOLD, Baselines.ALL_BACKGROUND), names.subList(0, 2));
        assertEquals("user-ones", names.get(names.size() - 1), "providers come after the built-in segmenters");
        assertEquals("user-ones", registry.create("user-ones").name());
    }

    @Test
    void aBrokenProviderIsNamed(@TempDir Path dir) throws Exception {
        ClassLoader loader = withServicesFile(dir, "com.example.NoSuchProvider\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new SegmenterRegistry().registerBaselines().registerProviders(loader));
        assertTrue(e.getMessage().contains("com.example.NoSuchProvider"), e.getMessage());
    }
}
