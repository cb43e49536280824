package org.segmentation.nn.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.SavedModel;

/** Typed reads of a model's {@code config.json} fields, each failing with a {@link ModelFormatException} naming it. */
final class ConfigFields {
    /** Networks of more parameters than this are costly to allocate; {@link #requireWeightsFor} checks them. */
    static final double PREALLOCATION_CHECK_PARAMETERS = 1 << 22;

    private ConfigFields() {
    }

    /**
     * Refuses a hand-edited config (a billion classes or filters) before the network is allocated: a config that
     * declares at least {@code needed} parameters, more than {@link #PREALLOCATION_CHECK_PARAMETERS}, needs a
     * weights file holding that many values. A small mismatch is left to the tensor checks, whose messages name
     * the first tensor that differs.
     *
     * @param needed a lower bound on the parameters of the config's network
     * @param fields the config fields that set the size, for the message
     * @param dir the model directory, whose {@code config.json} is named
     */
    static void requireWeightsFor(double needed, String fields, SavedModel saved, Path dir)
            throws ModelFormatException {
        long held = 0;
        for (Tensor t : saved.weights().tensors().values()) {
            held += t.numel();
        }
        if (needed > held && needed > PREALLOCATION_CHECK_PARAMETERS) {
            throw new ModelFormatException(dir.resolve(ModelFiles.CONFIG), null, String.format(Locale.ROOT,
                    "declares a network of at least %.0f parameters (%s), but %s holds only %d values; the config"
                    + " does not fit the weights", needed, fields, ModelFiles.WEIGHTS, held));
        }
    }

    static JsonNode field(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is missing");
        }
        return v;
    }

    static int intField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not an int");
        }
        return v.intValue();
    }

    static double numberField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isNumber()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not a number");
        }
        return v.doubleValue();
    }

    static boolean boolField(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not a boolean");
        }
        return v.booleanValue();
    }

    static <E extends Enum<E>> E enumField(JsonNode json, String key, Class<E> type, Path file)
            throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (v.isTextual()) {
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(java.util.Locale.ROOT).equals(v.textValue())) {
                    return e;
                }
            }
        }
        throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", expected one of "
                + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT));
    }

    static DataType dtypeField(JsonNode json, Path file) throws ModelFormatException {
        JsonNode v = field(json, "dtype", file);
        if (v.isTextual() && v.textValue().equals("float32")) {
            return DataType.FLOAT;
        }
        if (v.isTextual() && v.textValue().equals("float64")) {
            return DataType.DOUBLE;
        }
        throw new ModelFormatException(file, null, "config field \"dtype\" is " + v
                + ", expected \"float32\" or \"float64\"");
    }

    static int[] intArray(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isArray()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not an array");
        }
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt()) {
                throw new ModelFormatException(file, null, "config field \"" + key + "\" has " + v.get(i)
                        + ", not an int");
            }
            out[i] = v.get(i).intValue();
        }
        return out;
    }

    static double[] numberArray(JsonNode json, String key, Path file) throws ModelFormatException {
        JsonNode v = field(json, key, file);
        if (!v.isArray()) {
            throw new ModelFormatException(file, null, "config field \"" + key + "\" is " + v + ", not an array");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw new ModelFormatException(file, null, "config field \"" + key + "\" has " + v.get(i)
                        + ", not a number");
            }
            out[i] = v.get(i).doubleValue();
        }
        return out;
    }
}
