package org.segmentation.nn.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.ModelFormatException;
import org.segmentation.nn.io.TensorFile;
import org.segmentation.nn.param.Parameter;

/**
 * Moves a {@link SegmentationModel}'s parameters and buffers to and from named tensors, the content of a
 * {@code model.safetensors} file. Names are the parameters' own ({@code "down1.conv1.weight"}), which are chosen
 * to equal the keys of the same PyTorch module's {@code state_dict}.
 *
 * <p>Loading is all or nothing: every name, shape, dtype and value (finite, bounded) is checked before any value
 * is written, so a mismatched file never leaves a half-loaded model. PyTorch's {@code *.num_batches_tracked} counters, which
 * this library does not use, are accepted and ignored.
 */
public final class ModelWeights {
    /**
     * The largest magnitude a loaded weight or buffer may have. Trained weights are of order 1 and batch-norm
     * statistics of inputs in [0, 1] far below this; a value beyond it overflows float32 activations within a
     * few layers.
     */
    public static final double MAX_ABS_VALUE = 1e6;

    /** Suffix of the batch-norm step counters in PyTorch state dicts, ignored on load. */
    public static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";

    private ModelWeights() {
    }

    /** Every parameter, then every buffer, as tensors of the model's dtype (F32 or F64), C order. */
    public static TensorFile toTensors(SegmentationModel model) {
        return toTensors(named(model));
    }

    /**
     * The named arrays as tensors of their dtype (F32 or F64), C order: for a network that is not a
     * {@link SegmentationModel} (a {@link MaskRCNN}), by its parameters' and buffers' names.
     */
    public static TensorFile toTensors(Map<String, INDArray> named) {
        TensorFile.Builder b = TensorFile.builder();
        for (Map.Entry<String, INDArray> e : named.entrySet()) {
            b.put(e.getKey(), toTensor(e.getValue()));
        }
        return b.build();
    }

    /**
     * Copies every tensor of {@code file} into the model.
     *
     * @throws ModelFormatException naming the file and the tensor when a name is missing or unexpected, or a
     *     shape or dtype differs from the model's; the model is then unchanged
     */
    public static void load(SegmentationModel model, TensorFile file) throws ModelFormatException {
        load(named(model), file);
    }

    /**
     * Copies every tensor of {@code file} into the array of the same name, with the checks of
     * {@link #load(SegmentationModel, TensorFile)}.
     */
    public static void load(Map<String, INDArray> targets, TensorFile file) throws ModelFormatException {
        Path source = file.source();
        TreeSet<String> unexpected = new TreeSet<>();
        for (String name : file.tensors().keySet()) {
            if (!targets.containsKey(name) && !name.endsWith(NUM_BATCHES_TRACKED)) {
                unexpected.add(name);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new ModelFormatException(source, unexpected.first(), "is not a tensor of this model ("
                    + unexpected.size() + " unexpected: " + abbreviate(unexpected) + "); is it another architecture?");
        }
        List<Runnable> writes = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : targets.entrySet()) {
            String name = e.getKey();
            INDArray target = e.getValue();
            Tensor t = file.get(name);
            if (t == null) {
                throw new ModelFormatException(source, name, "is missing from the file");
            }
            DType want = target.dataType() == DataType.DOUBLE ? DType.F64 : DType.F32;
            if (t.dtype() != want) {
                throw new ModelFormatException(source, name, "has dtype " + t.dtype() + ", the model needs " + want);
            }
            if (!Arrays.equals(t.shape(), target.shape())) {
                throw new ModelFormatException(source, name, "has shape " + Arrays.toString(t.shape())
                        + ", the model needs " + Arrays.toString(target.shape()));
            }
            checkValues(source, name, t);
            writes.add(() -> target.assign(want == DType.F64
                    ? Nd4j.createFromArray(t.doubles()).reshape('c', t.shape())
                    : Nd4j.createFromArray(t.floats()).reshape('c', t.shape())));
        }
        writes.forEach(Runnable::run);
    }

    /**
     * Refuses values no trained network holds, which would otherwise load and predict plausible-looking
     * background everywhere: NaN, infinities, magnitudes above {@link #MAX_ABS_VALUE}, and negative batch-norm
     * running variances (whose square root is NaN).
     */
    private static void checkValues(Path source, String name, Tensor t) throws ModelFormatException {
        boolean variance = name.endsWith("running_var");
        double[] v = t.dtype() == DType.F64 ? t.doubles() : null;
        float[] f = v == null ? t.floats() : null;
        int n = v != null ? v.length : f.length;
        for (int i = 0; i < n; i++) {
            double x = v != null ? v[i] : f[i];
            if (!(Math.abs(x) <= MAX_ABS_VALUE) || (variance && x < 0)) {
                throw new ModelFormatException(source, name, "holds " + x + " at flat index " + i + "; "
                        + (variance && x < 0 ? "a running variance cannot be negative"
                        : "weights must be finite with magnitude at most " + MAX_ABS_VALUE)
                        + " (a diverged or corrupted model?)");
            }
        }
    }

    /** Parameters (declaration order) then buffers, by name; fails on a name used twice. */
    private static Map<String, INDArray> named(SegmentationModel model) {
        return named(model.parameters(), model.buffers());
    }

    /** The parameters' values (declaration order) then the buffers, by name; fails on a name used twice. */
    public static Map<String, INDArray> named(org.segmentation.nn.param.ParameterBuffer params,
            Map<String, INDArray> buffers) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : params.parameters()) {
            out.put(p.name(), p.value());
        }
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            if (out.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalStateException("model names both a parameter and a buffer " + e.getKey());
            }
        }
        return out;
    }

    private static Tensor toTensor(INDArray a) {
        long[] shape = a.shape();
        INDArray c = a.dup('c');
        if (a.dataType() == DataType.DOUBLE) {
            return Tensor.f64(c.data().asDouble(), shape);
        }
        if (a.dataType() == DataType.FLOAT) {
            return Tensor.f32(c.data().asFloat(), shape);
        }
        throw new IllegalArgumentException("unsupported parameter dtype " + a.dataType());
    }

    private static String abbreviate(TreeSet<String> names) {
        List<String> first = new ArrayList<>(names).subList(0, Math.min(5, names.size()));
        return String.join(", ", first) + (names.size() > 5 ? ", ..." : "");
    }
}
