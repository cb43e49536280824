package org.segmentation.core.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.segment.InstanceSegmentation;

class CocoDatasetTest {
    @TempDir
    Path dir;

    /**
     * Two categories (ids 1 and 3), three 4x5 (w x h) images, b.png without instances. Annotation 10: two
     * axis-aligned squares; 11: a compressed RLE; 12: an uncompressed crowd RLE without bbox and area.
     */
    private static final String GOOD = """
            {"images": [{"id": 1, "file_name": "a.png", "width": 4, "height": 5},
                        {"id": 2, "file_name": "b.png", "width": 4, "height": 5},
                        {"id": 7, "file_name": "sub/c.png", "width": 4, "height": 5}],
             "categories": [{"id": 1, "name": "cell", "supercategory": "thing"}, {"id": 3, "name": "debris"}],
             "annotations": [
               {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 5.0, "bbox": [0, 0, 3, 4],
                "segmentation": [[0, 0, 1, 0, 1, 1, 0, 1], [1, 2, 3, 2, 3, 4, 1, 4]]},
               {"id": 11, "image_id": 1, "category_id": 3, "iscrowd": 0, "area": 2, "bbox": [3, 3, 1, 2],
                "segmentation": {"size": [5, 4], "counts": "b02"}},
               {"id": 12, "image_id": 7, "category_id": 1, "iscrowd": 1,
                "segmentation": {"size": [5, 4], "counts": [6, 3, 11]}}]}
            """;

    private Path write(String json) throws IOException {
        Path f = dir.resolve("instances.json");
        Files.writeString(f, json);
        return f;
    }

    private void images() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        for (String name : List.of("a.png", "b.png", "sub/c.png")) {
            Files.writeString(dir.resolve(name), "not read, only looked for");
        }
    }

    @Test
    void readsPolygonsCompressedAndUncompressedRles() throws IOException {
        images();
        CocoDataset d = CocoDataset.read(write(GOOD), dir);
        assertEquals(List.of(1, 3), List.copyOf(d.categories().keySet()));
        assertEquals("debris", d.categories().get(3).name());
        assertEquals("", d.categories().get(3).supercategory());
        assertEquals(List.of(1L, 2L, 7L), List.copyOf(d.images().keySet()));
        assertEquals("sub/c.png", d.images().get(7L).fileName());
        assertTrue(d.annotations(2).isEmpty());

        List<CocoDataset.Annotation> a = d.annotations(1);
        assertEquals(2, a.size());
        Mask m = a.get(0).mask().decode(null);
        assertEquals(4, m.width);
        assertEquals(5, m.height);
        // squares [0,1]^2 and [1,3]x[2,4] cover the pixels whose centres they contain
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 4; x++) {
                boolean in = (x == 0 && y == 0) || (x >= 1 && x <= 2 && y >= 2 && y <= 3);
                assertEquals(in, m.get(x, y), x + "," + y);
            }
        }
        assertEquals(1, a.get(0).categoryId());
        assertArrayEquals(new double[] {0, 0, 3, 4}, a.get(0).bbox());
        // "b02": 18 zeros then 2 ones, column-major: column 3, rows 3 and 4 (18 = 0b10010 takes two 5-bit groups,
        // "b" and "0", since a single group with bit 4 set would read as negative)
        Mask m11 = a.get(1).mask().decode(null);
        assertEquals(2, m11.countOn());
        assertTrue(m11.get(3, 3) && m11.get(3, 4));
        CocoDataset.Annotation crowd = d.annotations(7).get(0);
        assertTrue(crowd.crowd());
        assertFalse(a.get(0).crowd());
        // counts 6, 3, 11: column 1 rows 1..3; bbox and area from the mask when the file has none
        assertArrayEquals(new double[] {1, 1, 1, 3}, crowd.bbox());
        assertEquals(3, crowd.area());
    }

    private CocoFormatException bad(String json, Path imageDir) throws IOException {
        Path f = write(json);
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoDataset.read(f, imageDir));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        return e;
    }

    @Test
    void annotationOfAnImageNotListedIsAnError() throws IOException {
        CocoFormatException e = bad(GOOD.replace("\"id\": 12, \"image_id\": 7", "\"id\": 12, \"image_id\": 8"), null);
        assertTrue(e.getMessage().contains("annotation 12 (image 8): image 8 is not among the file's 3 images"),
                e.getMessage());
    }

    @Test
    void imageFileMissingFromTheFolderIsAnError() throws IOException {
        images();
        Files.delete(dir.resolve("sub/c.png"));
        CocoFormatException e = bad(GOOD, dir);
        assertTrue(e.getMessage().contains("image 7: file " + dir.resolve("sub/c.png") + " does not exist"),
                e.getMessage());
    }

    @Test
    void polygonOutsideItsImageIsAnError() throws IOException {
        CocoFormatException e = bad(GOOD.replace("[1, 2, 3, 2, 3, 4, 1, 4]", "[1, 2, 4.5, 2, 3, 4, 1, 4]"), null);
        assertTrue(e.getMessage().contains("annotation 10 (image 1): polygon 1: polygon vertex 1 (4.5, 2.0) lies"
                + " outside the 4x5 image"), e.getMessage());
        e = bad(GOOD.replace("[0, 0, 1, 0, 1, 1, 0, 1]", "[0, -0.5, 1, 0, 1, 1, 0, 1]"), null);
        assertTrue(e.getMessage().contains("polygon 0: polygon vertex 0 (0.0, -0.5)"), e.getMessage());
    }

    @Test
    void badRlesAreErrors() throws IOException {
        CocoFormatException e = bad(GOOD.replace("[6, 3, 11]", "[6, 3, 10]"), null);
        assertTrue(e.getMessage().contains("annotation 12 (image 7): bad RLE: RLE counts sum to 19, but size"
                + " [5, 4] has 20 pixels"), e.getMessage());
        e = bad(GOOD.replace("\"b02\"", "\"b0 2\""), null);
        assertTrue(e.getMessage().contains("annotation 11 (image 1): bad RLE: RLE string has character ' ' at 2"),
                e.getMessage());
        e = bad(GOOD.replace("\"b02\"", "\"b03\""), null);
        assertTrue(e.getMessage().contains("annotation 11 (image 1): bad RLE: RLE counts sum to 21"),
                e.getMessage());
        e = bad(GOOD.replace("{\"size\": [5, 4], \"counts\": \"b02\"}", "{\"size\": [4, 5], \"counts\": \"b02\"}"),
                null);
        assertTrue(e.getMessage().contains("annotation 11 (image 1): RLE size [4,5] differs from the image's [5, 4]"),
                e.getMessage());
        e = bad(GOOD.replace("[6, 3, 11]", "[6, -3, 17]"), null);
        assertTrue(e.getMessage().contains("RLE count 1 is negative: -3"), e.getMessage());
    }

    @Test
    void unknownCategoryIsAnError() throws IOException {
        CocoFormatException e = bad(GOOD.replace("\"id\": 11, \"image_id\": 1, \"category_id\": 3",
                "\"id\": 11, \"image_id\": 1, \"category_id\": 2"), null);
        assertTrue(e.getMessage().contains("annotation 11 (image 1): category 2 is not among the categories [1, 3]"),
                e.getMessage());
        e = bad(GOOD.replace("{\"id\": 1, \"name\": \"cell\"", "{\"id\": 0, \"name\": \"cell\""), null);
        assertTrue(e.getMessage().contains("category 0: ids must be at least 1"), e.getMessage());
    }

    @Test
    void malformedFilesAreErrors() throws IOException {
        assertTrue(bad("{\"images\": [", null).getMessage().contains("not valid JSON"));
        assertTrue(bad("{\"images\": [], \"annotations\": []}", null).getMessage()
                .contains("the file: \"categories\" must be an array, got nothing"));
        assertTrue(bad(GOOD.replace("\"id\": 11, \"image_id\": 1", "\"id\": 10, \"image_id\": 1"), null).getMessage()
                .contains("annotation 10 is listed twice"));
        assertTrue(bad(GOOD.replace("\"width\": 4, \"height\": 5}]", "\"width\": 0, \"height\": 5}]"), null)
                .getMessage().contains("image 7: size 0x5 is not positive"));
        assertThrows(NoSuchFileException.class, () -> CocoDataset.read(dir.resolve("none.json"), null));
    }

    @Test
    void fileTooLargeForTheHeapIsRefusedBeforeItIsRead() throws IOException {
        Path json = dir.resolve("big.json");
        Files.writeString(json, GOOD);
        long size = Files.size(json);
        new CocoJson(json).parse(size);   // at the limit: read
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> new CocoJson(json).parse(size - 1));
        assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("has " + size + " bytes")
                && e.getMessage().contains("raise -Xmx"), e.getMessage());
    }

    /** Found by fuzzing ({@code CocoFuzzTest}) or while writing it; each input is also among its seeds. */
    @Test
    void hostileValuesAreErrorsNotWrappedOrAllocated() throws IOException {
        // ids and sizes beyond the int range used to be cast, 2^32 + 1 becoming 1
        assertTrue(bad(GOOD.replace("{\"id\": 3, \"name\": \"debris\"}", "{\"id\": 4294967299, \"name\": \"d\"}"),
                null).getMessage().contains("category: \"id\" is 4294967299, outside the int range"));
        assertTrue(bad(GOOD.replace("\"width\": 4, \"height\": 5}]", "\"width\": 4294967300, \"height\": 5}]"),
                null).getMessage().contains("image 7: \"width\" is 4294967300, outside the int range"));
        assertTrue(bad(GOOD.replace("\"category_id\": 3,", "\"category_id\": 4294967299,"), null).getMessage()
                .contains("\"category_id\" is 4294967299"));
        // a 100000 x 100000 image would be decoded at that size: refused against the pixel limit before any mask
        String huge = GOOD.replace("\"width\": 4, \"height\": 5}]", "\"width\": 100000, \"height\": 100000}]");
        assertTrue(bad(huge, null).getMessage().contains("image 7: size 100000x100000 = 10000000000 pixels exceeds"
                + " the limit of 16777216"));
        Path f = write(GOOD);
        CocoFormatException low = assertThrows(CocoFormatException.class, () -> CocoDataset.read(f, null, 19));
        assertTrue(low.getMessage().contains("image 1: size 4x5 = 20 pixels exceeds the limit of 19"),
                low.getMessage());
        assertEquals(3, CocoDataset.read(f, null, 20).images().size(), "20 pixels are within a limit of 20");
        // an area or box that is not a number used to read as 0
        assertTrue(bad(GOOD.replace("\"area\": 5.0", "\"area\": \"5\""), null).getMessage()
                .contains("annotation 10 (image 1): area must be a finite number >= 0, got \"5\""));
        assertTrue(bad(GOOD.replace("\"bbox\": [0, 0, 3, 4]", "\"bbox\": [0, 0, -3, 4]"), null).getMessage()
                .contains("bbox must have finite coordinates and a size >= 0"));
        // bytes that are not text in the encoding Jackson detects: a CharConversionException naming no file
        Path utf32 = dir.resolve("utf32.json");
        Files.write(utf32, new byte[] {0, 0, 0, '{', 0x7a, 0x22, 0x69, 0x7a, 0, 0, 0, '}'});
        CocoFormatException e = assertThrows(CocoFormatException.class, () -> CocoDataset.read(utf32, null));
        assertTrue(e.getMessage().startsWith(utf32 + ": not valid JSON text"), e.getMessage());
    }

    @Test
    void crowdFlagsDuplicateKeysAndDeepNestingAreChecked() throws IOException {
        assertTrue(bad(GOOD.replace("\"iscrowd\": 1", "\"iscrowd\": \"yes\""), null).getMessage()
                .endsWith("annotation 12 (image 7): iscrowd must be 0 or 1, got \"yes\""));
        assertTrue(bad(GOOD.replace("\"iscrowd\": 1", "\"iscrowd\": 2"), null).getMessage()
                .endsWith("annotation 12 (image 7): iscrowd must be 0 or 1, got 2"));
        assertTrue(bad(GOOD.replace("\"id\": 10,", "\"id\": 10, \"id\": 13,"), null).getMessage()
                .contains("not valid JSON: Duplicate field 'id'"));
        assertTrue(bad(GOOD.replace("\"area\": 5.0", "\"area\": 5.0, \"x\": " + "[".repeat(70) + "]".repeat(70)),
                null).getMessage().contains("nesting depth (65) exceeds the maximum allowed (64"));
        Path f = write(GOOD.replace("\"iscrowd\": 1", "\"iscrowd\": true"));
        assertTrue(CocoDataset.read(f, null).annotations(7).get(0).crowd());
        f = write(GOOD.replace("\"iscrowd\": 1,", ""));
        assertFalse(CocoDataset.read(f, null).annotations(7).get(0).crowd(), "absent: not a crowd");
    }

    /** 300 triangles across a 4000 x 4000 image: each within the limit, together 18 million boundary steps. */
    @Test
    void polygonsWhoseBoundariesTogetherAreTooLongAreAnError() throws IOException {
        String tri = "[0, 0, 4000, 0, 0, 4000]";
        String json = "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 4000, \"height\": 4000}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"c\"}], \"annotations\": [{\"id\": 1, \"image_id\": 1,"
                + " \"category_id\": 1, \"segmentation\": [" + (tri + ", ").repeat(299) + tri + "]}]}";
        assertTrue(bad(json, null).getMessage().endsWith("annotation 1 (image 1): polygons 0..279 of 300: their"
                + " boundaries take 16800840 steps at 5x scale, more than the limit of 16777216 for one annotation"));
    }

    /** 60 vertices zigzagging across a 1 x 65536 image walk 19.7 million boundary steps: refused, not allocated. */
    @Test
    void polygonWhoseBoundaryIsTooLongIsAnError() throws IOException {
        StringBuilder poly = new StringBuilder();
        for (int j = 0; j < 60; j++) {
            poly.append(j > 0 ? ", " : "").append(j % 2 == 0 ? 0 : 65536).append(", ").append(j % 4 < 2 ? 0 : 1);
        }
        String json = "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": 65536, \"height\": 1}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"c\"}], \"annotations\": [{\"id\": 1, \"image_id\": 1,"
                + " \"category_id\": 1, \"segmentation\": [[" + poly + "]]}]}";
        assertTrue(bad(json, null).getMessage().contains("polygon 0: the polygon's boundary takes 19660860 steps"),
                "60 edges (the last closes the polygon) of 5 x 65536 + 1 steps each");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CocoRle.fromPolygon(new double[] {0, 0, 1, 0, 1, 1}, 65536, 65536));
        assertTrue(e.getMessage().contains("the pixel count an int"), e.getMessage());
    }

    @Test
    void resultsJsonHoldsBoxesScoresAndMasksAsCompressedRles() throws IOException {
        LabelMap l = new LabelMap(4, 5);
        l.set(3, 3, 1);
        l.set(3, 4, 1);
        l.set(0, 0, 2);
        InstanceSegmentation inst = new InstanceSegmentation(l, new int[] {3, 1}, new double[] {0.9, 0.25},
                new double[] {2.5, 3, 4, 5, 0, 0, 1.5, 1});
        Map<Long, InstanceSegmentation> perImage = new LinkedHashMap<>();
        perImage.put(7L, inst);
        perImage.put(2L, InstanceSegmentation.empty(4, 5));
        Path f = dir.resolve("results.json");
        CocoResults.write(f, perImage);
        JsonNode r = new ObjectMapper().readTree(f.toFile());
        assertEquals(2, r.size());
        JsonNode first = r.get(0);
        assertEquals(7, first.get("image_id").intValue());
        assertEquals(3, first.get("category_id").intValue());
        assertEquals(0.9, first.get("score").doubleValue());
        assertEquals("[2.5,3.0,1.5,2.0]", first.get("bbox").toString());
        assertEquals("[5,4]", first.get("segmentation").get("size").toString());
        assertEquals("b02", first.get("segmentation").get("counts").textValue());   // the same as in GOOD
        JsonNode second = r.get(1);
        assertEquals(1, second.get("category_id").intValue());
        Mask m = CocoRle.fromCompressedString(second.get("segmentation").get("counts").textValue(), 5, 4)
                .decode(null);
        assertEquals(1, m.countOn());
        assertTrue(m.get(0, 0));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file left behind");
        }
    }
}
