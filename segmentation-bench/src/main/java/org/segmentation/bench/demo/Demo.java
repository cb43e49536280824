package org.segmentation.bench.demo;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayF32;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.Mask;
import org.segmentation.core.ops.DistanceTransformOps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo behind the README's main-job command. Each step writes its images into the output folder and adds a
 * section to {@code index.html}, which shows them all offline.
 */
public final class Demo {
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

    private final Path out;
    private final List<String> sections = new ArrayList<>();

    public Demo(Path out) {
        this.out = out;
    }

    /** Runs every step and writes {@code index.html}. */
    public void run() throws IOException {
        Files.createDirectories(out);
        GrayU8 coins = bundledGray("coins.png");
        distanceTransformStep(coins);
        writeIndex();
        LOG.info("demo finished: open {}", out.resolve("index.html").toAbsolutePath());
    }

    private void distanceTransformStep(GrayU8 image) throws IOException {
        long t0 = System.nanoTime();
        Mask fg = new Mask(image.width, image.height);
        for (int y = 0; y < image.height; y++) {
            for (int x = 0; x < image.width; x++) {
                fg.unsafe_set(x, y, image.unsafe_get(x, y) > 110);
            }
        }
        GrayF32 dist = DistanceTransformOps.edt(fg, null);
        float max = 0;
        for (float v : dist.data) {
            max = Math.max(max, v);
        }
        GrayU8 shown = ConvertImage.toU8(dist, 255f / Math.max(max, 1f), null);
        double ms = (System.nanoTime() - t0) / 1e6;
        write(image, "coins.png");
        write(shown, "coins-distance.png");
        LOG.info("distance transform of coins.png: max distance {} px, {} ms", max, String.format("%.1f", ms));
        sections.add(section("Euclidean distance transform",
                "coins.png thresholded at 110, then the exact Euclidean distance to the background.",
                "coins.png", "coins-distance.png"));
    }

    private static GrayU8 bundledGray(String name) throws IOException {
        try (InputStream in = Demo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("bundled image " + name + " is missing from the jar");
            }
            BufferedImage image = ImageIO.read(in);
            return ConvertImage.toGrayU8(image, null);
        }
    }

    private void write(GrayU8 image, String name) throws IOException {
        if (!ImageIO.write(ConvertImage.toBufferedImage(image), "png", out.resolve(name).toFile())) {
            throw new UncheckedIOException(new IOException("no PNG writer"));
        }
    }

    private static String section(String title, String text, String... images) {
        StringBuilder sb = new StringBuilder("<section><h2>").append(title).append("</h2><p>").append(text)
                .append("</p>");
        for (String img : images) {
            sb.append("<figure><img src=\"").append(img).append("\"><figcaption>").append(img)
                    .append("</figcaption></figure>");
        }
        return sb.append("</section>\n").toString();
    }

    private void writeIndex() throws IOException {
        String html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>segmentation demo</title>"
                + "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:0 1em 1em 0}"
                + "img{max-width:420px;image-rendering:pixelated}</style></head><body><h1>segmentation demo</h1>\n"
                + String.join("", sections) + "</body></html>\n";
        Files.writeString(out.resolve("index.html"), html, StandardCharsets.UTF_8);
    }
}
