package org.segmentation.core.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;

/** Reads the files written by {@code golden/metrics/make_metrics_goldens.py}. */
final class Goldens {
    private static final String DIR = "/golden/metrics/";
    private static Map<String, Double> values;

    private Goldens() {
    }

    /** The number stored under {@code key} in metrics_goldens.txt; fails if absent. */
    static synchronized double value(String key) {
        if (values == null) {
            values = new HashMap<>();
            for (String line : new String(bytes("metrics_goldens.txt"), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.indexOf('=');
                String v = line.substring(eq + 1).trim();
                values.put(line.substring(0, eq), v.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v));
            }
        }
        Double v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no golden value " + key);
        }
        return v;
    }

    /** A 16-bit label PNG as a LabelMap. */
    static LabelMap labels(String name) {
        GrayU16 g = ConvertImage.toGrayU16(read(name + ".png"), null);
        LabelMap out = new LabelMap(g.width, g.height);
        for (int i = 0; i < out.data.length; i++) {
            out.data[i] = g.data[i] & 0xFFFF;
        }
        return out;
    }

    /** An 8-bit 0/255 PNG as a Mask. */
    static Mask mask(String name) {
        GrayU8 g = ConvertImage.toGrayU8(read(name + ".png"), null);
        Mask out = new Mask(g.width, g.height);
        for (int i = 0; i < out.data.length; i++) {
            out.data[i] = (byte) (g.data[i] != 0 ? 1 : 0);
        }
        return out;
    }

    static Mask nonzero(LabelMap labels) {
        Mask m = new Mask(labels.width, labels.height);
        for (int y = 0; y < labels.height; y++) {
            for (int x = 0; x < labels.width; x++) {
                m.set(x, y, labels.get(x, y) != 0);
            }
        }
        return m;
    }

    private static java.awt.image.BufferedImage read(String file) {
        try (InputStream in = Goldens.class.getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalArgumentException("missing golden file " + file);
            }
            return ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(String file) {
        try (InputStream in = Goldens.class.getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalArgumentException("missing golden file " + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
