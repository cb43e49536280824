package org.segmentation.nn.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.TensorFile;

/**
 * The sum of the workers' weights and optimizer states after a round of {@link SparkTraining}, which
 * {@code treeAggregate} builds by {@link #add}ing contributions pairwise, and the driver divides by
 * {@link #workers()}. Sums are kept in double precision whatever the tensors' dtype, so that the mean of one worker
 * is its tensor exactly. Optimizer metadata (step count, learning rate, kind) must be the same on every worker, as
 * it is when they all ran the same number of steps under the same configuration; it is checked, not averaged.
 */
final class Contribution implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, Sum> weights = new LinkedHashMap<>();
    private final Map<String, Sum> optimizer = new LinkedHashMap<>();
    private Map<String, String> optimizerMeta;
    private int workers;
    private double lossSum;
    private long lossCount;

    /** One tensor summed over workers. */
    private static final class Sum implements Serializable {
        private static final long serialVersionUID = 1L;
        final DType dtype;
        final long[] shape;
        final double[] values;

        Sum(Tensor t) {
            this.dtype = t.dtype();
            this.shape = t.shape();
            if (dtype == DType.F32) {
                float[] f = t.floats();
                values = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    values[i] = f[i];
                }
            } else if (dtype == DType.F64) {
                values = t.doubles().clone();
            } else {
                throw new IllegalArgumentException("only F32 and F64 tensors are averaged, got " + dtype);
            }
        }

        void add(String name, Sum o) {
            if (o.dtype != dtype || !Arrays.equals(o.shape, shape)) {
                throw new IllegalStateException("workers disagree on tensor " + name + ": " + dtype
                        + Arrays.toString(shape) + " and " + o.dtype + Arrays.toString(o.shape));
            }
            for (int i = 0; i < values.length; i++) {
                values[i] += o.values[i];
            }
        }

        Tensor mean(int n) {
            if (dtype == DType.F32) {
                float[] f = new float[values.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) (values[i] / n);
                }
                return Tensor.f32(f, shape);
            }
            double[] d = new double[values.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = values[i] / n;
            }
            return Tensor.f64(d, shape);
        }
    }

    /** Nothing yet: the zero of the aggregation. */
    static Contribution empty() {
        return new Contribution();
    }

    /** One worker's result: its weights, its optimizer state and the losses of the steps it took. */
    static Contribution of(TensorFile weights, TensorFile optimizer, double[] losses) {
        Contribution c = new Contribution();
        weights.tensors().forEach((k, v) -> c.weights.put(k, new Sum(v)));
        optimizer.tensors().forEach((k, v) -> c.optimizer.put(k, new Sum(v)));
        c.optimizerMeta = new LinkedHashMap<>(optimizer.metadata());
        c.workers = 1;
        for (double l : losses) {
            c.lossSum += l;
        }
        c.lossCount = losses.length;
        return c;
    }

    /** Adds {@code other} into this one and returns this one. */
    Contribution add(Contribution other) {
        if (other.workers == 0) {
            return this;
        }
        if (workers == 0) {
            weights.putAll(other.weights);
            optimizer.putAll(other.optimizer);
            optimizerMeta = other.optimizerMeta;
        } else {
            addAll(weights, other.weights, "weights");
            addAll(optimizer, other.optimizer, "optimizer state");
            if (!optimizerMeta.equals(other.optimizerMeta)) {
                throw new IllegalStateException("workers disagree on the optimizer's metadata: " + optimizerMeta
                        + " and " + other.optimizerMeta);
            }
        }
        workers += other.workers;
        lossSum += other.lossSum;
        lossCount += other.lossCount;
        return this;
    }

    private static void addAll(Map<String, Sum> into, Map<String, Sum> from, String what) {
        if (!into.keySet().equals(from.keySet())) {
            throw new IllegalStateException("workers disagree on the " + what + " tensors: " + into.keySet()
                    + " and " + from.keySet());
        }
        from.forEach((k, v) -> into.get(k).add(k, v));
    }

    int workers() {
        return workers;
    }

    /** Mean training loss over every step of every worker, NaN if none. */
    double meanLoss() {
        return lossCount == 0 ? Double.NaN : lossSum / lossCount;
    }

    TensorFile meanWeights() {
        return mean(weights, Map.of());
    }

    TensorFile meanOptimizer() {
        return mean(optimizer, optimizerMeta);
    }

    private TensorFile mean(Map<String, Sum> sums, Map<String, String> meta) {
        TensorFile.Builder b = TensorFile.builder();
        sums.forEach((k, v) -> b.put(k, v.mean(workers)));
        meta.forEach(b::meta);
        return b.build();
    }
}
