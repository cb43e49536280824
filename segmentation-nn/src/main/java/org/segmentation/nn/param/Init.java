package org.segmentation.nn.param;

import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Parameter initializers; each draws from an explicit, seeded {@link Random}. Run once, not per step. */
public final class Init {
    private Init() {
    }

    /** Uniform on [-bound, bound]: PyTorch's default for conv weights and biases uses bound = 1/sqrt(fan_in). */
    public static Consumer<INDArray> uniform(Random rng, double bound) {
        return a -> {
            double[] v = new double[(int) a.length()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (2 * rng.nextDouble() - 1) * bound;
            }
            a.assign(Nd4j.create(v, a.shape(), 'c').castTo(a.dataType()));
        };
    }

    /**
     * Normal with mean 0 and the given standard deviation: torchvision's detection heads use std 0.01, and
     * kaiming-normal is std = sqrt(2 / fan) (ResNet convolutions: fan out, ReLU gain).
     */
    public static Consumer<INDArray> normal(Random rng, double std) {
        return a -> {
            double[] v = new double[(int) a.length()];
            for (int i = 0; i < v.length; i++) {
                v[i] = std * rng.nextGaussian();
            }
            a.assign(Nd4j.create(v, a.shape(), 'c').castTo(a.dataType()));
        };
    }

    /** Every element set to {@code value}. */
    public static Consumer<INDArray> constant(double value) {
        return a -> a.assign(value);
    }
}
