package org.segmentation.nn.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.segmentation.core.io.AtomicFiles;

/**
 * What a training run recorded, as plain data for plots and reports: per step the loss and the learning rate,
 * per validation its {@link ValidationResult}. Step columns are primitive arrays that grow by doubling (about 28
 * bytes per step).
 *
 * <p>Files ({@link #write}): {@code steps.csv} ({@code step,epoch,loss,lr}), {@code validation.csv}
 * ({@code step,epoch,loss,mean_iou,mean_dice,pixel_accuracy,iou_0..,dice_0..}) and {@code history.json} with
 * both; numbers are written with {@link Double#toString} so they read back exactly. Not thread-safe: the
 * trainer appends on its thread; copy what a listener on another thread needs.
 */
public final class TrainingHistory {
    /** The CSV of the steps. */
    public static final String STEPS_CSV = "steps.csv";
    /** The CSV of the validations. */
    public static final String VALIDATION_CSV = "validation.csv";
    /** Both, as JSON. */
    public static final String JSON_FILE = "history.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private long[] steps = new long[64];
    private int[] epochs = new int[64];
    private double[] losses = new double[64];
    private double[] rates = new double[64];
    private int size;
    private final List<ValidationResult> validations = new ArrayList<>();

    /** Records step {@code step} (1-based count of completed steps). */
    public void addStep(long step, int epoch, double loss, double learningRate) {
        if (size == steps.length) {
            int n = size * 2;
            steps = Arrays.copyOf(steps, n);
            epochs = Arrays.copyOf(epochs, n);
            losses = Arrays.copyOf(losses, n);
            rates = Arrays.copyOf(rates, n);
        }
        steps[size] = step;
        epochs[size] = epoch;
        losses[size] = loss;
        rates[size] = learningRate;
        size++;
    }

    public void addValidation(ValidationResult r) {
        validations.add(r);
    }

    /** Number of steps recorded. */
    public int size() {
        return size;
    }

    /** Completed-step counts of the recorded steps (1-based), a copy. */
    public long[] steps() {
        return Arrays.copyOf(steps, size);
    }

    /** Epoch of each recorded step, a copy. */
    public int[] epochs() {
        return Arrays.copyOf(epochs, size);
    }

    /** Loss of each recorded step, a copy. */
    public double[] losses() {
        return Arrays.copyOf(losses, size);
    }

    /** Learning rate of each recorded step, a copy. */
    public double[] learningRates() {
        return Arrays.copyOf(rates, size);
    }

    /** The validations in order, read-only. */
    public List<ValidationResult> validations() {
        return Collections.unmodifiableList(validations);
    }

    /** Drops everything recorded after completed step {@code step}: a resumed run continues from there. */
    public void truncateAfter(long step) {
        int n = 0;
        while (n < size && steps[n] <= step) {
            n++;
        }
        size = n;
        validations.removeIf(v -> v.step() > step);
    }

    /** Writes {@link #STEPS_CSV}, {@link #VALIDATION_CSV} and {@link #JSON_FILE} into {@code dir}, each atomically. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder s = new StringBuilder("step,epoch,loss,lr\n");
        for (int i = 0; i < size; i++) {
            s.append(steps[i]).append(',').append(epochs[i]).append(',').append(losses[i]).append(',')
                    .append(rates[i]).append('\n');
        }
        writeAtomically(dir.resolve(STEPS_CSV), s.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder v = new StringBuilder("step,epoch,loss,mean_iou,mean_dice,pixel_accuracy,mask_ap,mask_ap50");
        int classes = validations.isEmpty() ? 0 : validations.get(0).iou().length;
        for (String col : new String[] {"iou_", "dice_"}) {
            for (int c = 0; c < classes; c++) {
                v.append(',').append(col).append(c);
            }
        }
        v.append('\n');
        for (ValidationResult r : validations) {
            v.append(r.step()).append(',').append(r.epoch()).append(',').append(r.loss()).append(',')
                    .append(r.meanIoU()).append(',').append(r.meanDice()).append(',').append(r.pixelAccuracy())
                    .append(',').append(r.maskAp()).append(',').append(r.maskAp50());
            for (double x : r.iou()) {
                v.append(',').append(x);
            }
            for (double x : r.dice()) {
                v.append(',').append(x);
            }
            v.append('\n');
        }
        writeAtomically(dir.resolve(VALIDATION_CSV), v.toString().getBytes(StandardCharsets.UTF_8));
        writeAtomically(dir.resolve(JSON_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson()));
    }

    /**
     * {@code {"steps": {"step": [..], "epoch": [..], "loss": [..], "lr": [..]}, "validations": [{"step", "epoch",
     * "loss", "mean_iou", "mean_dice", "pixel_accuracy", "mask_ap", "mask_ap50", "iou": [..], "dice": [..]}, ..]}};
     * NaN is written as the string "NaN".
     */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode st = root.putObject("steps");
        ArrayNode step = st.putArray("step");
        ArrayNode epoch = st.putArray("epoch");
        ArrayNode loss = st.putArray("loss");
        ArrayNode lr = st.putArray("lr");
        for (int i = 0; i < size; i++) {
            step.add(steps[i]);
            epoch.add(epochs[i]);
            loss.add(losses[i]);
            lr.add(rates[i]);
        }
        ArrayNode vs = root.putArray("validations");
        for (ValidationResult r : validations) {
            ObjectNode o = vs.addObject();
            o.put("step", r.step());
            o.put("epoch", r.epoch());
            o.put("loss", r.loss());
            o.put("mean_iou", r.meanIoU());
            o.put("mean_dice", r.meanDice());
            o.put("pixel_accuracy", r.pixelAccuracy());
            o.put("mask_ap", r.maskAp());
            o.put("mask_ap50", r.maskAp50());
            ArrayNode iou = o.putArray("iou");
            for (double x : r.iou()) {
                iou.add(x);
            }
            ArrayNode dice = o.putArray("dice");
            for (double x : r.dice()) {
                dice.add(x);
            }
        }
        return root;
    }

    /**
     * Reads a history written by {@link #write} (its {@link #JSON_FILE}).
     *
     * @throws IOException if the file cannot be read or is not such a history
     */
    public static TrainingHistory read(Path jsonFile) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(jsonFile));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(jsonFile + ": not a valid training history (" + e.getOriginalMessage()
                    + "); delete it to resume with the history started afresh", e);
        }
        JsonNode st = root == null ? null : root.get("steps");
        JsonNode vs = root == null ? null : root.get("validations");
        if (st == null || vs == null || !vs.isArray()) {
            throw new IOException(jsonFile + ": not a training history (no 'steps' and 'validations')");
        }
        TrainingHistory h = new TrainingHistory();
        JsonNode step = st.path("step");
        JsonNode epoch = st.path("epoch");
        JsonNode loss = st.path("loss");
        JsonNode lr = st.path("lr");
        int n = step.size();
        if (epoch.size() != n || loss.size() != n || lr.size() != n) {
            throw new IOException(jsonFile + ": the step columns have different lengths");
        }
        for (int i = 0; i < n; i++) {
            h.addStep(step.get(i).asLong(), epoch.get(i).asInt(), loss.get(i).asDouble(), lr.get(i).asDouble());
        }
        for (JsonNode o : vs) {
            h.addValidation(new ValidationResult(o.path("step").asLong(), o.path("epoch").asLong(),
                    o.path("loss").asDouble(), o.path("mean_iou").asDouble(), o.path("mean_dice").asDouble(),
                    o.path("pixel_accuracy").asDouble(), doubles(o.path("iou")), doubles(o.path("dice")),
                    o.path("mask_ap").asDouble(Double.NaN), o.path("mask_ap50").asDouble(Double.NaN)));
        }
        return h;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        AtomicFiles.write(file, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }
}
