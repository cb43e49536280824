package org.segmentation.core.coco;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import org.segmentation.core.image.Mask;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.core.segment.InstanceSegmentation;

/**
 * Reads and writes detections as a COCO results JSON, the array that COCO's evaluation code loads with {@code loadRes}: one
 * object per instance, {@code {"image_id", "category_id", "bbox": [x, y, width, height], "score",
 * "segmentation": {"size": [height, width], "counts": compressed RLE}}}, images in the map's order and each
 * image's instances in their order. The mask is the instance's pixels in the label map; the box is the
 * detector's, converted from corners to (x, y, width, height).
 *
 * <p>Reading checks each result against the instances file it is to be evaluated on, and fails with a
 * {@link CocoFormatException} naming the file, the result's index and the value: an image or category that file
 * does not list, a score that is not a number, a mask that is malformed or of another size than its image.
 */
public final class CocoResults {
    private CocoResults() {
    }

    /** One result: its image, category, score and mask. */
    public record Detection(long imageId, int categoryId, double score, CocoRle mask) {
    }

    /**
     * Reads a results file made for {@code truth}'s images and categories, in the file's order.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws CocoFormatException if it is not a JSON array of results that fit {@code truth} (see the class
     *     comment)
     */
    public static List<Detection> read(Path file, CocoDataset truth) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "COCO results JSON not found");
        }
        CocoJson r = new CocoJson(file);
        JsonNode root = r.parse();
        if (!root.isArray()) {
            throw r.error("expected a JSON array of results");
        }
        List<Detection> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode d = root.get(i);
            long imageId = r.integer(d, "image_id", "result " + i);
            String what = "result " + i + " (image " + imageId + ")";
            CocoDataset.Image img = truth.images().get(imageId);
            if (img == null) {
                throw r.error(what + ": image " + imageId + " is not among the instances file's "
                        + truth.images().size() + " images");
            }
            int category = (int) r.integer(d, "category_id", what);
            if (!truth.categories().containsKey(category)) {
                throw r.error(what + ": category " + category + " is not among the categories "
                        + truth.categories().keySet());
            }
            JsonNode score = d.get("score");
            if (score == null || !score.isNumber() || !Double.isFinite(score.doubleValue())) {
                throw r.error(what + ": \"score\" must be a finite number, got " + score);
            }
            out.add(new Detection(imageId, category, score.doubleValue(), r.segmentation(d.get("segmentation"), img,
                    what)));
        }
        return out;
    }

    /**
     * Writes the results file atomically ({@link AtomicFiles#write}): a reader never sees half a file.
     *
     * @param perImage each image's id and its instances; class ids are written as COCO category ids unchanged
     */
    public static void write(Path file, Map<Long, InstanceSegmentation> perImage) throws IOException {
        AtomicFiles.write(file, channel -> {
            OutputStream out = Channels.newOutputStream(channel);
            // the generator must not close the channel, which AtomicFiles still forces to disk
            try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)
                    .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
                g.writeStartArray();
                Mask mask = null;
                for (Map.Entry<Long, InstanceSegmentation> e : perImage.entrySet()) {
                    InstanceSegmentation inst = e.getValue();
                    double[] b = inst.boxes();
                    for (int i = 0; i < inst.size(); i++) {
                        mask = inst.mask(i, mask);
                        CocoRle rle = CocoRle.encode(mask);
                        g.writeStartObject();
                        g.writeNumberField("image_id", e.getKey());
                        g.writeNumberField("category_id", inst.classes()[i]);
                        g.writeArrayFieldStart("bbox");
                        g.writeNumber(b[4 * i]);
                        g.writeNumber(b[4 * i + 1]);
                        g.writeNumber(b[4 * i + 2] - b[4 * i]);
                        g.writeNumber(b[4 * i + 3] - b[4 * i + 1]);
                        g.writeEndArray();
                        g.writeNumberField("score", inst.scores()[i]);
                        g.writeObjectFieldStart("segmentation");
                        g.writeArrayFieldStart("size");
                        g.writeNumber(rle.height());
                        g.writeNumber(rle.width());
                        g.writeEndArray();
                        g.writeStringField("counts", rle.toCompressedString());
                        g.writeEndObject();
                        g.writeEndObject();
                    }
                }
                g.writeEndArray();
                g.writeRaw('\n');
            }
        });
    }
}
