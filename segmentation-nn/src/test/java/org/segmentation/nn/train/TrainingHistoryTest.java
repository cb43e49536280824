package org.segmentation.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.segmentation.nn.io.ModelFormatException;

/** The history files: an exact round trip, and a typed error naming the file for every malformed history. */
class TrainingHistoryTest {
    @TempDir
    Path dir;

    private static final String STEPS = "\"steps\": {\"step\": [1, 2], \"epoch\": [0, 0], \"loss\": [0.5, 0.25],"
            + " \"lr\": [0.01, 0.01]}";
    private static final String VALIDATION = "{\"step\": 2, \"epoch\": 1, \"loss\": 0.3, \"mean_iou\": 0.5,"
            + " \"mean_dice\": 0.6, \"pixel_accuracy\": 0.9, \"iou\": [0.4, 0.6], \"dice\": [0.5, 0.7]}";

    @Test
    void writtenHistoryReadsBackExactlyNaNAndAllAndTruncates() throws Exception {
        TrainingHistory h = new TrainingHistory();
        for (int i = 1; i <= 100; i++) {
            h.addStep(i, (i - 1) / 10, 1.0 / i, 0.01 * Math.pow(0.99, i));
        }
        h.addValidation(new ValidationResult(10, 1, 0.7, 0.5, 0.6, 0.9, new double[] {0.4, Double.NaN},
                new double[] {0.5, Double.NaN}));
        h.addValidation(new ValidationResult(20, 2, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                new double[] {Double.NaN, 0}, new double[] {Double.NaN, 0}, 0.25, 0.5));
        h.addValidation(new ValidationResult(30, 3, Double.POSITIVE_INFINITY, 1, 1, 1, new double[2],
                new double[2]));
        h.write(dir);
        TrainingHistory read = TrainingHistory.read(dir.resolve(TrainingHistory.JSON_FILE));
        assertArrayEquals(h.steps(), read.steps());
        assertArrayEquals(h.epochs(), read.epochs());
        assertArrayEquals(h.losses(), read.losses(), 0);
        assertArrayEquals(h.learningRates(), read.learningRates(), 0);
        assertEquals(3, read.validations().size());
        for (int i = 0; i < 3; i++) {
            ValidationResult a = h.validations().get(i);
            ValidationResult b = read.validations().get(i);
            assertEquals(a.step(), b.step());
            assertEquals(a.epoch(), b.epoch());
            assertEquals(a.loss(), b.loss());
            assertEquals(a.meanIoU(), b.meanIoU());
            assertEquals(a.meanDice(), b.meanDice());
            assertEquals(a.pixelAccuracy(), b.pixelAccuracy());
            assertEquals(a.maskAp(), b.maskAp());
            assertEquals(a.maskAp50(), b.maskAp50());
            assertArrayEquals(a.iou(), b.iou(), 0);
            assertArrayEquals(a.dice(), b.dice(), 0);
        }
        read.truncateAfter(25);
        assertEquals(25, read.size());
        assertEquals(2, read.validations().size());
    }

    @Test
    void historyWithoutMaskApFieldsReadsThemAsNaN() throws Exception {
        Path file = dir.resolve("old.json");
        Files.writeString(file, "{" + STEPS + ", \"validations\": [" + VALIDATION + "], \"note\": {\"x\": [1]}}");
        TrainingHistory h = TrainingHistory.read(file);
        assertEquals(2, h.size());
        assertEquals(0.6, h.validations().get(0).meanDice());
        assertTrue(Double.isNaN(h.validations().get(0).maskAp()));
        assertTrue(Double.isNaN(h.validations().get(0).maskAp50()));
    }

    static Stream<Arguments> hostileHistories() {
        String v = "\"validations\": [" + VALIDATION + "]";
        return Stream.of(
            Arguments.of("empty", "", "not a JSON object"),
            Arguments.of("truncated", "{\"steps\": {\"step\": [1, 2", "not valid JSON"),
            Arguments.of("array", "[1, 2]", "not a JSON object"),
            Arguments.of("trailing", "{" + STEPS + ", " + v + "} {}", "more after the object"),
            Arguments.of("duplicate_key", "{" + STEPS + ", " + STEPS + ", " + v + "}", "Duplicate field 'steps'"),
            Arguments.of("no_steps", "{" + v + "}", "\"steps\" is missing"),
            Arguments.of("no_validations", "{" + STEPS + "}", "\"validations\" is missing"),
            Arguments.of("steps_a_number", "{\"steps\": 5, " + v + "}", "steps is 5, not an object"),
            Arguments.of("step_an_object", "{" + STEPS.replace("[1, 2]", "{\"a\": 1}") + ", " + v + "}",
                    "steps.step is an object, not an array"),
            Arguments.of("no_lr", "{" + STEPS.replace(", \"lr\": [0.01, 0.01]", "") + ", " + v + "}",
                    "steps.lr is missing"),
            Arguments.of("step_a_string", "{" + STEPS.replace("[1, 2]", "[1, \"two\"]") + ", " + v + "}",
                    "steps.step[1] is \"two\", not an integer >= 1"),
            Arguments.of("step_a_fraction", "{" + STEPS.replace("[1, 2]", "[1, 2.5]") + ", " + v + "}",
                    "steps.step[1] is 2.5, not an integer >= 1"),
            Arguments.of("step_negative", "{" + STEPS.replace("[1, 2]", "[-5, 2]") + ", " + v + "}",
                    "steps.step[0] is -5, not an integer >= 1"),
            Arguments.of("step_beyond_long", "{" + STEPS.replace("[1, 2]", "[1, 99999999999999999999]") + ", " + v
                    + "}", "steps.step[1] is 99999999999999999999, not an integer >= 1"),
            Arguments.of("steps_out_of_order", "{" + STEPS.replace("[1, 2]", "[2, 1]") + ", " + v + "}",
                    "steps.step[1] is 1 after 2; steps must increase"),
            Arguments.of("epoch_absurd", "{" + STEPS.replace("[0, 0]", "[0, 10000000000]") + ", " + v + "}",
                    "steps.epoch[1] is 10000000000, not an integer in 0..2147483647"),
            Arguments.of("epochs_decrease", "{" + STEPS.replace("[0, 0]", "[3, 2]") + ", " + v + "}",
                    "steps.epoch[1] is 2 after 3; epochs must not decrease"),
            Arguments.of("columns_differ", "{" + STEPS.replace("[0.5, 0.25]", "[0.5]") + ", " + v + "}",
                    "columns of different lengths: step 2, epoch 2, loss 1, lr 2"),
            Arguments.of("loss_null", "{" + STEPS.replace("[0.5, 0.25]", "[null, 0.25]") + ", " + v + "}",
                    "steps.loss[0] is null, not a number"),
            Arguments.of("loss_a_word", "{" + STEPS.replace("[0.5, 0.25]", "[\"low\", 0.25]") + ", " + v + "}",
                    "steps.loss[0] is \"low\", not a number"),
            Arguments.of("lr_negative", "{" + STEPS.replace("[0.01, 0.01]", "[0.01, -1]") + ", " + v + "}",
                    "steps.lr[1] is -1, not a finite number >= 0"),
            Arguments.of("lr_infinite", "{" + STEPS.replace("[0.01, 0.01]", "[\"Infinity\", 0.01]") + ", " + v
                    + "}", "steps.lr[0] is \"Infinity\", not a finite number >= 0"),
            Arguments.of("validation_a_number", "{" + STEPS + ", \"validations\": [5]}",
                    "validations[0] is 5, not an object"),
            Arguments.of("validation_missing_field", "{" + STEPS + ", \"validations\": ["
                    + VALIDATION.replace("\"mean_iou\": 0.5,", "") + "]}", "validations[0].mean_iou is missing"),
            Arguments.of("validation_iou_out_of_range", "{" + STEPS + ", \"validations\": ["
                    + VALIDATION.replace("\"mean_iou\": 0.5", "\"mean_iou\": 7") + "]}",
                    "validations[0].mean_iou is 7, not NaN or a number in [0, 1]"),
            Arguments.of("validation_step_negative", "{" + STEPS + ", \"validations\": ["
                    + VALIDATION.replace("\"step\": 2", "\"step\": -2") + "]}",
                    "validations[0].step is -2, not an integer >= 0"),
            Arguments.of("validation_class_iou_a_string", "{" + STEPS + ", \"validations\": ["
                    + VALIDATION.replace("[0.4, 0.6]", "[0.4, \"x\"]") + "]}",
                    "validations[0].iou[1] is \"x\", not a number"),
            Arguments.of("validation_iou_dice_lengths", "{" + STEPS + ", \"validations\": ["
                    + VALIDATION.replace("[0.4, 0.6]", "[0.4]") + "]}", "validations[0] has 1 IoUs but 2 Dices"),
            Arguments.of("validations_class_counts_differ", "{" + STEPS + ", \"validations\": [" + VALIDATION + ", "
                    + VALIDATION.replace("[0.4, 0.6]", "[0.4, 0.6, 0.1]").replace("[0.5, 0.7]", "[0.5, 0.7, 0.1]")
                    + "]}", "validations[1].iou has 3 classes, validations[0] 2"),
            Arguments.of("validations_out_of_order", "{" + STEPS + ", \"validations\": [" + VALIDATION + ", "
                    + VALIDATION.replace("\"step\": 2", "\"step\": 1") + "]}",
                    "validations[1].step is 1 after 2; validations must be in step order"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileHistories")
    void malformedHistoryIsAModelFormatExceptionNamingTheFileAndTheProblem(String name, String content,
            String fragment) throws Exception {
        Path file = dir.resolve(name + ".json");
        Files.writeString(file, content);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainingHistory.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' in " + e.getMessage());
        assertTrue(e.getMessage().contains("delete the file"), "says how to resume anyway: " + e.getMessage());
    }

    @Test
    void notUtf8AFolderAndAMissingFileAreNamed() throws Exception {
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, ("{" + STEPS + ", \"validations\": [], \"note\": \"caf\u00e9\"}")
                .getBytes(StandardCharsets.ISO_8859_1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TrainingHistory.read(latin1));
        assertTrue(e.getMessage().startsWith(latin1 + ": not valid UTF-8"), e.getMessage());

        Path folder = Files.createDirectory(dir.resolve(TrainingHistory.JSON_FILE));
        e = assertThrows(ModelFormatException.class, () -> TrainingHistory.read(folder));
        assertTrue(e.getMessage().startsWith(folder + ": is not a regular file"), e.getMessage());

        Path missing = dir.resolve("missing.json");
        NoSuchFileException n = assertThrows(NoSuchFileException.class, () -> TrainingHistory.read(missing));
        assertEquals(missing.toString(), n.getFile());
    }
}
