package org.segmentation.nn.optim;

import org.segmentation.nn.param.ParameterBuffer;

/** Gradient-norm clipping over a whole model, as {@code torch.nn.utils.clip_grad_norm_} with the L2 norm. */
public final class GradientClipping {
    private GradientClipping() {
    }

    /**
     * Scales all gradients by maxNorm/(norm + 1e-6) when their global L2 norm exceeds maxNorm; modifies the
     * buffer's gradients in place.
     *
     * @return the global norm before clipping
     */
    public static double clipByNorm(ParameterBuffer buffer, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("expected maxNorm > 0, got " + maxNorm);
        }
        double norm = buffer.gradients().norm2Number().doubleValue();
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            buffer.gradients().muli(coef);
        }
        return norm;
    }
}
