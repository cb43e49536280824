package org.segmentation.classic;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.segmentation.core.image.ConvertImage;
import org.segmentation.core.image.GrayU16;
import org.segmentation.core.image.GrayU8;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.image.RgbU8;

/**
 * Reads the committed test images and golden files (core.io is not a dependency of these tests): PNG through
 * {@link ImageIO}, JSON through a minimal parser (objects, arrays, numbers, strings, booleans).
 */
public final class TestImages {
    /** Gray test images. */
    public static final String[] GRAY = {"camera", "coins", "moon", "page"};
    /** Colour test images. */
    public static final String[] COLOUR = {"astronaut", "chelsea", "coffee"};

    private TestImages() {
    }

    public static BufferedImage read(String resource) {
        try (InputStream in = TestImages.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return ImageIO.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean isColour(String name) {
        return List.of(COLOUR).contains(name);
    }

    /** A test image as 8-bit gray; colour images go through the OpenCV-exact luma. */
    public static GrayU8 gray(String name) {
        return ConvertImage.toGrayU8(read("/images/" + name + ".png"), null);
    }

    public static RgbU8 rgb(String name) {
        return ConvertImage.toRgb(read("/images/" + name + ".png"), null);
    }

    public static GrayU16 u16(String resource) {
        return ConvertImage.toGrayU16(read(resource), null);
    }

    /** A 16-bit label PNG as a label map. */
    public static LabelMap labels(String resource) {
        GrayU16 g = u16(resource);
        LabelMap l = new LabelMap(g.width, g.height);
        for (int i = 0; i < l.data.length; i++) {
            l.data[i] = g.data[i] & 0xFFFF;
        }
        return l;
    }

    /** An 8-bit PNG as a mask: non-zero is on. */
    public static Mask mask(String resource) {
        GrayU8 g = ConvertImage.toGrayU8(read(resource), null);
        Mask m = new Mask(g.width, g.height);
        for (int i = 0; i < m.data.length; i++) {
            m.data[i] = (byte) (g.data[i] != 0 ? 1 : 0);
        }
        return m;
    }

    /** Parses a JSON resource into maps, lists, doubles, strings and booleans. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> json(String resource) {
        try (InputStream in = TestImages.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return (Map<String, Object>) new Json(s).value();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Json {
        private final String s;
        private int p;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(p);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                p++;
                skip();
                if (s.charAt(p) == '}') {
                    p++;
                    return m;
                }
                while (true) {
                    skip();
                    String k = (String) value();
                    skip();
                    expect(':');
                    m.put(k, value());
                    skip();
                    if (s.charAt(p++) == '}') {
                        return m;
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                p++;
                skip();
                if (s.charAt(p) == ']') {
                    p++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    skip();
                    if (s.charAt(p++) == ']') {
                        return l;
                    }
                }
            }
            if (c == '"') {
                int e = s.indexOf('"', p + 1);
                String r = s.substring(p + 1, e);
                p = e + 1;
                return r;
            }
            if (s.startsWith("true", p)) {
                p += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", p)) {
                p += 5;
                return Boolean.FALSE;
            }
            int start = p;
            while (p < s.length() && "+-0123456789.eE".indexOf(s.charAt(p)) >= 0) {
                p++;
            }
            return Double.parseDouble(s.substring(start, p));
        }

        private void expect(char c) {
            if (s.charAt(p++) != c) {
                throw new IllegalStateException("expected " + c + " at " + (p - 1));
            }
        }

        private void skip() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
                p++;
            }
        }
    }
}
