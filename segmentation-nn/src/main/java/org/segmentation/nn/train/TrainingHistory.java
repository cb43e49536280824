package org.segmentation.nn.train;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.nn.io.ModelFormatException;

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
    private static final JsonFactory STRICT_JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    /** The strings {@link #write} writes for the non-finite numbers. */
    private static final Map<String, Double> NON_FINITE = Map.of("NaN", Double.NaN, "Infinity",
            Double.POSITIVE_INFINITY, "-Infinity", Double.NEGATIVE_INFINITY);

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
     * Reads a history written by {@link #write} (its {@link #JSON_FILE}), as {@code Trainer.resume} does. The file
     * is parsed as a stream, so reading takes about the memory of the history; a file of more than 1/16 of the
     * Java heap is refused. Numbers may be the strings "NaN", "Infinity" and "-Infinity" that {@link #write}
     * writes for them. Checked: steps count up from 1, epochs do not decrease, learning rates are finite and
     * non-negative, validations are in step order, each validation has every field ({@code mask_ap} and
     * {@code mask_ap50} may be missing, as before they existed), and its IoU, Dice, pixel accuracy and APs are NaN
     * or in [0, 1], with as many per-class IoUs and Dices as the first validation. Other fields are ignored.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws ModelFormatException naming the file and the problem if it is not such a history (not UTF-8 JSON,
     *     a field missing or of the wrong type, a value out of range or out of order) or is too large
     */
    public static TrainingHistory read(Path jsonFile) throws IOException {
        if (!Files.isRegularFile(jsonFile)) {
            if (!Files.exists(jsonFile)) {
                throw new NoSuchFileException(jsonFile.toString());
            }
            throw corrupt(jsonFile, "is not a regular file", null);
        }
        long size = Files.size(jsonFile);
        long limit = Runtime.getRuntime().maxMemory() / 16;
        if (size > limit) {
            throw corrupt(jsonFile, "has " + size + " bytes, more than 1/16 of the Java heap (" + limit
                    + " bytes); raise -Xmx to read it", null);
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (JsonParser p = STRICT_JSON.createParser(new InputStreamReader(Files.newInputStream(jsonFile), utf8))) {
            return new Reader(p, jsonFile).history();
        } catch (CharacterCodingException e) {
            throw corrupt(jsonFile, "not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw corrupt(jsonFile, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static ModelFormatException corrupt(Path file, String problem, Throwable cause) {
        return new ModelFormatException(file, null, problem + "; to resume anyway, delete the file (the history"
                + " then starts afresh)", cause);
    }

    /** What a column of numbers holds. */
    private enum Kind {
        /** Losses: any number, NaN and the infinities included. */
        ANY("a number"),
        /** Learning rates. */
        RATE("a finite number >= 0"),
        /** IoU, Dice, pixel accuracy and AP: NaN where undefined. */
        FRACTION("NaN or a number in [0, 1]");

        final String description;

        Kind(String description) {
            this.description = description;
        }

        boolean admits(double v) {
            return switch (this) {
                case ANY -> true;
                case RATE -> v >= 0 && v < Double.POSITIVE_INFINITY;
                case FRACTION -> Double.isNaN(v) || (v >= 0 && v <= 1);
            };
        }
    }

    /** The parser of {@link #read}: a JSON stream into primitive columns, checking every value as it goes. */
    private static final class Reader {
        private final JsonParser p;
        private final Path file;

        Reader(JsonParser p, Path file) {
            this.p = p;
            this.file = file;
        }

        TrainingHistory history() throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw problem("", "not a JSON object");
            }
            TrainingHistory h = null;
            List<ValidationResult> validations = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "steps" -> h = steps();
                    case "validations" -> validations = validations();
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw problem("", "not valid JSON: more after the object");
            }
            if (h == null || validations == null) {
                throw problem("", "\"" + (h == null ? "steps" : "validations") + "\" is missing");
            }
            validations.forEach(h::addValidation);
            return h;
        }

        private TrainingHistory steps() throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw problem("steps", "is " + token() + ", not an object");
            }
            long[] step = null;
            long[] epoch = null;
            double[] loss = null;
            double[] lr = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                String at = "steps." + key;
                switch (key) {
                    case "step" -> step = integers(at, 1, Long.MAX_VALUE);
                    case "epoch" -> epoch = integers(at, 0, Integer.MAX_VALUE);
                    case "loss" -> loss = numbers(at, Kind.ANY);
                    case "lr" -> lr = numbers(at, Kind.RATE);
                    default -> p.skipChildren();
                }
            }
            String missing = step == null ? "step" : epoch == null ? "epoch" : loss == null ? "loss"
                    : lr == null ? "lr" : null;
            if (missing != null) {
                throw problem("steps." + missing, "is missing");
            }
            int n = step.length;
            if (epoch.length != n || loss.length != n || lr.length != n) {
                throw problem("steps", "has columns of different lengths: step " + n + ", epoch " + epoch.length
                        + ", loss " + loss.length + ", lr " + lr.length);
            }
            TrainingHistory h = new TrainingHistory();
            for (int i = 0; i < n; i++) {
                if (i > 0 && step[i] <= step[i - 1]) {
                    throw problem("steps.step[" + i + "]", "is " + step[i] + " after " + step[i - 1]
                            + "; steps must increase");
                }
                if (i > 0 && epoch[i] < epoch[i - 1]) {
                    throw problem("steps.epoch[" + i + "]", "is " + epoch[i] + " after " + epoch[i - 1]
                            + "; epochs must not decrease");
                }
                h.addStep(step[i], (int) epoch[i], loss[i], lr[i]);
            }
            return h;
        }

        private List<ValidationResult> validations() throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw problem("validations", "is " + token() + ", not an array");
            }
            List<ValidationResult> out = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                String at = "validations[" + out.size() + "]";
                ValidationResult r = validation(at);
                if (!out.isEmpty()) {
                    ValidationResult first = out.get(0);
                    ValidationResult last = out.get(out.size() - 1);
                    if (r.step() < last.step()) {
                        throw problem(at + ".step", "is " + r.step() + " after " + last.step()
                                + "; validations must be in step order");
                    }
                    if (r.iou().length != first.iou().length) {
                        throw problem(at + ".iou", "has " + r.iou().length + " classes, validations[0] "
                                + first.iou().length);
                    }
                }
                out.add(r);
            }
            return out;
        }

        private ValidationResult validation(String at) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw problem(at, "is " + token() + ", not an object");
            }
            Map<String, Object> f = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                String where = at + "." + key;
                switch (key) {
                    case "step", "epoch" -> f.put(key, integer(where, 0, Long.MAX_VALUE));
                    case "loss" -> f.put(key, number(where, Kind.ANY));
                    case "mean_iou", "mean_dice", "pixel_accuracy", "mask_ap", "mask_ap50" ->
                            f.put(key, number(where, Kind.FRACTION));
                    case "iou", "dice" -> f.put(key, numbers(where, Kind.FRACTION));
                    default -> p.skipChildren();
                }
            }
            for (String key : List.of("step", "epoch", "loss", "mean_iou", "mean_dice", "pixel_accuracy", "iou",
                    "dice")) {
                if (!f.containsKey(key)) {
                    throw problem(at + "." + key, "is missing");
                }
            }
            double[] iou = (double[]) f.get("iou");
            double[] dice = (double[]) f.get("dice");
            if (iou.length != dice.length) {
                throw problem(at, "has " + iou.length + " IoUs but " + dice.length + " Dices");
            }
            return new ValidationResult((long) f.get("step"), (long) f.get("epoch"), (double) f.get("loss"),
                    (double) f.get("mean_iou"), (double) f.get("mean_dice"), (double) f.get("pixel_accuracy"), iou,
                    dice, (double) f.getOrDefault("mask_ap", Double.NaN),
                    (double) f.getOrDefault("mask_ap50", Double.NaN));
        }

        /** An array of integers in {@code [min, max]}. */
        private long[] integers(String at, long min, long max) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw problem(at, "is " + token() + ", not an array");
            }
            long[] out = new long[16];
            int n = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, grow(n, at));
                }
                out[n] = integer(at + "[" + n + "]", min, max);
                n++;
            }
            return Arrays.copyOf(out, n);
        }

        /** An array of numbers of one kind. */
        private double[] numbers(String at, Kind kind) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw problem(at, "is " + token() + ", not an array");
            }
            double[] out = new double[16];
            int n = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, grow(n, at));
                }
                out[n] = number(at + "[" + n + "]", kind);
                n++;
            }
            return Arrays.copyOf(out, n);
        }

        private int grow(int n, String at) throws ModelFormatException {
            if (n >= Integer.MAX_VALUE / 2) {
                throw problem(at, "has more than " + n + " values");
            }
            return n * 2;
        }

        /** The current token: an integer in {@code [min, max]}. */
        private long integer(String at, long min, long max) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || p.getLongValue() < min || p.getLongValue() > max) {
                throw problem(at, "is " + token() + ", not an integer " + (max == Long.MAX_VALUE ? ">= " + min
                        : "in " + min + ".." + max));
            }
            return p.getLongValue();
        }

        /** The current token: a number, or a string {@link TrainingHistory#write} writes for NaN or an infinity. */
        private double number(String at, Kind kind) throws IOException {
            double v;
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                v = p.getDoubleValue();
            } else if (t == JsonToken.VALUE_STRING && NON_FINITE.containsKey(p.getText())) {
                v = NON_FINITE.get(p.getText());
            } else {
                throw problem(at, "is " + token() + ", not a number");
            }
            if (!kind.admits(v)) {
                throw problem(at, "is " + token() + ", not " + kind.description);
            }
            return v;
        }

        /** The current token as the message shows it: JSON text, shortened. */
        private String token() throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.START_OBJECT) {
                return "an object";
            }
            if (t == JsonToken.START_ARRAY) {
                return "an array";
            }
            if (t == null) {
                return "the end of the file";
            }
            String text = t == JsonToken.VALUE_STRING ? '"' + p.getText() + '"' : p.getText();
            return text.length() > 40 ? text.substring(0, 37) + "..." : text;
        }

        private ModelFormatException problem(String at, String problem) {
            return corrupt(file, (at.isEmpty() ? "" : at + " ") + problem, null);
        }
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
