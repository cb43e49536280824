package org.segmentation.core.coco;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.Map;
import org.segmentation.core.image.Mask;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.core.segment.InstanceSegmentation;

/**
 * Writes detections as a COCO results JSON, the array that COCO's evaluation code loads with {@code loadRes}: one
 * object per instance, {@code {"image_id", "category_id", "bbox": [x, y, width, height], "score",
 * "segmentation": {"size": [height, width], "counts": compressed RLE}}}, images in the map's order and each
 * image's instances in their order. The mask is the instance's pixels in the label map; the box is the
 * detector's, converted from corners to (x, y, width, height).
 */
public final class CocoResults {
    private CocoResults() {
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
