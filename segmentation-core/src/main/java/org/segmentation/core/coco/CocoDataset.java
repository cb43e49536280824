package org.segmentation.core.coco;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.segmentation.core.io.ImageFiles;

/**
 * A COCO instances dataset (the {@code instances_*.json} layout that CVAT, Label Studio and public datasets
 * export): its categories, images and instance annotations, each annotation's mask decoded from its polygons
 * (rasterised as COCO's mask API does, {@link CocoRle#fromPolygon}, several polygons united) or its run-length
 * encoding (compressed string or uncompressed counts).
 *
 * <p>Reading checks what later steps would otherwise trip over, and fails with a {@link CocoFormatException}
 * naming the file, the record and the value: duplicate ids, an annotation of an image not listed, an image file
 * missing from the image folder, an unknown category id, a polygon vertex outside its image (no clipping: such an
 * annotation was drawn for another image size), polygons whose boundaries together take more than
 * {@link CocoRle#MAX_POLYGON_STEPS} steps in one annotation, a run-length mask that is malformed or of another size
 * than its image, an area or a box that is not a number, an {@code iscrowd} other than 0 or 1, an id or size outside
 * the int range, an image above the pixel limit ({@link ImageFiles#DEFAULT_MAX_PIXELS} unless given), a duplicate
 * key, nesting deeper than 64 levels, and a file above 1/8 of the Java heap (refused before it is read). Category ids must be at least 1, as 0 denotes
 * background throughout this library.
 *
 * <p>Immutable.
 */
public final class CocoDataset {
    /** A category: id (≥ 1), name and the optional super-category ("" when absent). */
    public record Category(int id, String name, String supercategory) {
    }

    /** An image: id, file name relative to the image folder, and size in pixels. */
    public record Image(long id, String fileName, int width, int height) {
    }

    /**
     * One instance: its id, image, category, mask, box {x, y, width, height} as the file gives it (or the mask's
     * tight box when absent), crowd flag, and area (the file's, or the mask's pixel count when absent).
     */
    public record Annotation(long id, long imageId, int categoryId, CocoRle mask, double[] bbox, boolean crowd,
            double area) {
    }

    private final Map<Integer, Category> categories;
    private final Map<Long, Image> images;
    private final Map<Long, List<Annotation>> annotations;

    private CocoDataset(Map<Integer, Category> categories, Map<Long, Image> images,
            Map<Long, List<Annotation>> annotations) {
        this.categories = Collections.unmodifiableMap(categories);
        this.images = Collections.unmodifiableMap(images);
        this.annotations = annotations;
    }

    /** The categories by id, in the file's order. */
    public Map<Integer, Category> categories() {
        return categories;
    }

    /** The images by id, in the file's order. */
    public Map<Long, Image> images() {
        return images;
    }

    /** The annotations of one image, in the file's order (empty for an image without instances). */
    public List<Annotation> annotations(long imageId) {
        if (!images.containsKey(imageId)) {
            throw new IllegalArgumentException("CocoDataset: no image " + imageId);
        }
        return annotations.getOrDefault(imageId, List.of());
    }

    /**
     * Reads an instances JSON whose images have at most {@link ImageFiles#DEFAULT_MAX_PIXELS} pixels each, see
     * {@link #read(Path, Path, long)}.
     */
    public static CocoDataset read(Path json, Path imageDir) throws IOException {
        return read(json, imageDir, ImageFiles.DEFAULT_MAX_PIXELS);
    }

    /**
     * Reads an instances JSON whose images may have up to {@code maxPixels} pixels each (their masks are decoded
     * at the image's size, so the limit bounds the memory of every later step, as the image readers' does).
     *
     * @param imageDir the folder the images' {@code file_name}s are relative to, each of which must exist; null
     *     to check no files
     * @param maxPixels the largest width × height an image may declare, at least 1
     * @throws NoSuchFileException if the JSON file does not exist
     * @throws CocoFormatException if it is not valid JSON, declares an image above the pixel limit or is not a
     *     consistent COCO instances file (see the class comment)
     */
    public static CocoDataset read(Path json, Path imageDir, long maxPixels) throws IOException {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maxPixels must be >= 1, got " + maxPixels);
        }
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "COCO instances JSON not found");
        }
        CocoJson r = new CocoJson(json);
        JsonNode root = r.parse();
        if (!root.isObject()) {
            throw r.error("expected a JSON object with images, annotations and categories");
        }
        Map<Integer, Category> categories = new LinkedHashMap<>();
        for (JsonNode c : r.array(root, "categories", "the file")) {
            int id = r.intField(c, "id", "a category");
            String what = "category " + id;
            if (id < 1) {
                throw r.error(what + ": ids must be at least 1 (0 is background)");
            }
            Category cat = new Category(id, r.text(c, "name", what), c.path("supercategory").asText(""));
            if (categories.put(id, cat) != null) {
                throw r.error(what + " is listed twice");
            }
        }
        Map<Long, Image> images = new LinkedHashMap<>();
        for (JsonNode i : r.array(root, "images", "the file")) {
            long id = r.integer(i, "id", "an image");
            String what = "image " + id;
            Image img = new Image(id, r.text(i, "file_name", what), r.intField(i, "width", what),
                    r.intField(i, "height", what));
            if (img.width() < 1 || img.height() < 1) {
                throw r.error(what + ": size " + img.width() + "x" + img.height() + " is not positive");
            }
            if ((long) img.width() * img.height() > maxPixels) {
                throw r.error(what + ": size " + img.width() + "x" + img.height() + " = "
                        + (long) img.width() * img.height() + " pixels exceeds the limit of " + maxPixels);
            }
            if (images.put(id, img) != null) {
                throw r.error(what + " is listed twice");
            }
            if (imageDir != null && !Files.isRegularFile(imageDir.resolve(img.fileName()))) {
                throw r.error(what + ": file " + imageDir.resolve(img.fileName()) + " does not exist");
            }
        }
        Map<Long, List<Annotation>> annotations = new LinkedHashMap<>();
        java.util.Set<Long> annotationIds = new java.util.HashSet<>();
        for (JsonNode a : r.array(root, "annotations", "the file")) {
            long id = r.integer(a, "id", "an annotation");
            long imageId = r.integer(a, "image_id", "annotation " + id);
            String what = "annotation " + id + " (image " + imageId + ")";
            if (!annotationIds.add(id)) {
                throw r.error("annotation " + id + " is listed twice");
            }
            Image img = images.get(imageId);
            if (img == null) {
                throw r.error(what + ": image " + imageId + " is not among the file's " + images.size()
                        + " images");
            }
            int category = r.intField(a, "category_id", what);
            if (!categories.containsKey(category)) {
                throw r.error(what + ": category " + category + " is not among the categories "
                        + categories.keySet());
            }
            JsonNode crowdNode = a.path("iscrowd");   // absent or null: not a crowd
            if (!crowdNode.isMissingNode() && !crowdNode.isNull() && !crowdNode.isBoolean()
                    && !(crowdNode.isIntegralNumber() && (crowdNode.asLong() == 0 || crowdNode.asLong() == 1))) {
                throw r.error(what + ": iscrowd must be 0 or 1, got " + crowdNode);
            }
            boolean crowd = crowdNode.asInt(0) == 1 || crowdNode.asBoolean(false);
            CocoRle mask = r.segmentation(a.get("segmentation"), img, what);
            double[] bbox;
            JsonNode b = a.get("bbox");
            if (b == null || b.isNull()) {
                bbox = java.util.Arrays.stream(mask.bbox()).asDoubleStream().toArray();
            } else {
                if (!b.isArray() || b.size() != 4 || !b.get(0).isNumber() || !b.get(1).isNumber()
                        || !b.get(2).isNumber() || !b.get(3).isNumber()) {
                    throw r.error(what + ": bbox must be 4 numbers [x, y, width, height], got " + b);
                }
                bbox = new double[] {b.get(0).doubleValue(), b.get(1).doubleValue(), b.get(2).doubleValue(),
                    b.get(3).doubleValue()};
                if (!(bbox[2] >= 0 && bbox[3] >= 0) || !Double.isFinite(bbox[0] + bbox[1] + bbox[2] + bbox[3])) {
                    throw r.error(what + ": bbox must have finite coordinates and a size >= 0, got " + b);
                }
            }
            JsonNode areaNode = a.get("area");
            double area;
            if (areaNode == null || areaNode.isNull()) {
                area = mask.area();
            } else if (areaNode.isNumber() && areaNode.doubleValue() >= 0
                    && Double.isFinite(areaNode.doubleValue())) {
                area = areaNode.doubleValue();
            } else {
                throw r.error(what + ": area must be a finite number >= 0, got " + areaNode);
            }
            annotations.computeIfAbsent(imageId, k -> new ArrayList<>()).add(new Annotation(id, imageId, category,
                    mask, bbox, crowd, area));
        }
        annotations.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return new CocoDataset(categories, images, annotations);
    }
}
