package org.segmentation.core.coco;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Field access into a COCO JSON file that names the file and the record in every error. */
record CocoJson(Path file) {
    /** The deepest nesting of arrays and objects read (a COCO file nests 5 levels deep). */
    static final int MAX_DEPTH = 64;

    /** Duplicate keys are errors (which of two ids or file names is meant?), as is nesting beyond the limit. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build());

    /**
     * Heap per byte of JSON text allowed for reading a file as a tree: a number of a few characters becomes a node
     * of 16 to 24 bytes plus its reference, a field of an object a map entry of some 50; a COCO file takes about six
     * times its size, and the margin leaves room for the masks decoded from it.
     */
    static final int TREE_BYTES_PER_BYTE = 8;

    /**
     * The file's JSON, never null; a file of more than 1/{@value #TREE_BYTES_PER_BYTE} of the Java heap is refused
     * before it is read, instead of ending in an {@link OutOfMemoryError}.
     */
    JsonNode parse() throws IOException {
        return parse(Runtime.getRuntime().maxMemory() / TREE_BYTES_PER_BYTE);
    }

    /** {@link #parse()} of a file of at most {@code maxBytes} bytes. */
    JsonNode parse(long maxBytes) throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            throw error("the file has " + size + " bytes, more than the " + maxBytes + " this JVM reads: its Java"
                    + " tree takes about " + TREE_BYTES_PER_BYTE + " bytes of heap per byte of text; raise -Xmx to"
                    + " at least " + (size * TREE_BYTES_PER_BYTE >> 20) + " MB");
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null) {
                throw error("empty file");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new CocoFormatException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (CharConversionException e) {
            // bytes that are not text in the encoding Jackson detected (UTF-8, -16 or -32)
            throw new CocoFormatException(file, "not valid JSON text: " + e.getMessage(), e);
        }
    }

    CocoFormatException error(String problem) {
        return new CocoFormatException(file, problem);
    }

    Iterable<JsonNode> array(JsonNode parent, String field, String what) throws CocoFormatException {
        JsonNode a = parent.get(field);
        if (a == null || !a.isArray()) {
            throw error(what + ": \"" + field + "\" must be an array, got " + (a == null ? "nothing" : a));
        }
        return a;
    }

    long integer(JsonNode parent, String field, String what) throws CocoFormatException {
        JsonNode v = parent.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
            throw error(what + ": \"" + field + "\" must be an integer, got " + (v == null ? "nothing" : v));
        }
        return v.longValue();
    }

    /** {@link #integer}, which must also fit an int: ids and sizes are ints in this library, never wrapped. */
    int intField(JsonNode parent, String field, String what) throws CocoFormatException {
        long v = integer(parent, field, what);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw error(what + ": \"" + field + "\" is " + v + ", outside the int range");
        }
        return (int) v;
    }

    String text(JsonNode parent, String field, String what) throws CocoFormatException {
        JsonNode v = parent.get(field);
        if (v == null || !v.isTextual()) {
            throw error(what + ": \"" + field + "\" must be a string, got " + (v == null ? "nothing" : v));
        }
        return v.textValue();
    }

    /** Polygons [[x, y, ...], ...] or an RLE {"counts": string or [ints], "size": [h, w]}. */
    CocoRle segmentation(JsonNode s, CocoDataset.Image img, String what) throws CocoFormatException {
        int h = img.height();
        int w = img.width();
        try {
            if (s != null && s.isArray()) {
                if (s.isEmpty()) {
                    throw error(what + ": segmentation has no polygons");
                }
                double[][] polygons = new double[s.size()][];
                for (int p = 0; p < polygons.length; p++) {
                    JsonNode poly = s.get(p);
                    if (!poly.isArray()) {
                        throw error(what + ": polygon " + p + " must be an array of numbers, got " + poly);
                    }
                    double[] xy = new double[poly.size()];
                    for (int i = 0; i < xy.length; i++) {
                        if (!poly.get(i).isNumber()) {
                            throw error(what + ": polygon " + p + " has " + poly.get(i) + " at " + i);
                        }
                        xy[i] = poly.get(i).doubleValue();
                    }
                    polygons[p] = xy;
                }
                try {
                    return CocoRle.fromPolygons(polygons, h, w);
                } catch (IllegalArgumentException e) {
                    throw error(what + ": " + e.getMessage());
                }
            }
            if (s != null && s.isObject()) {
                JsonNode size = s.get("size");
                if (size == null || !size.isArray() || size.size() != 2 || !size.get(0).isInt()
                        || !size.get(1).isInt()) {
                    throw error(what + ": RLE size must be [height, width], got " + size);
                }
                if (size.get(0).intValue() != h || size.get(1).intValue() != w) {
                    throw error(what + ": RLE size " + size + " differs from the image's [" + h + ", " + w
                            + "]");
                }
                JsonNode counts = s.get("counts");
                if (counts != null && counts.isTextual()) {
                    return CocoRle.fromCompressedString(counts.textValue(), h, w);
                }
                if (counts != null && counts.isArray()) {
                    int[] c = new int[counts.size()];
                    for (int i = 0; i < c.length; i++) {
                        if (!counts.get(i).isInt()) {
                            throw error(what + ": RLE count " + i + " is " + counts.get(i));
                        }
                        c[i] = counts.get(i).intValue();
                    }
                    return CocoRle.of(h, w, c);
                }
                throw error(what + ": RLE counts must be a string or an array of integers, got " + counts);
            }
        } catch (IllegalArgumentException e) {
            throw error(what + ": bad RLE: " + e.getMessage());
        }
        throw error(what + ": segmentation must be a list of polygons or an RLE object, got " + s);
    }
}
