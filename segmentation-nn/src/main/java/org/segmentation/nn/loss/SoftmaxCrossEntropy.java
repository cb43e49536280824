package org.segmentation.nn.loss;

import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.segmentation.core.label.IgnoreLabel;
import org.segmentation.nn.Bcast;
import org.segmentation.nn.ParallelRanges;
import org.segmentation.nn.Scalars;
import org.segmentation.nn.layers.Softmax;

/**
 * Softmax cross-entropy over the channel axis, PyTorch's {@code cross_entropy(logits, labels, weight=w,
 * ignore_index=i)} with mean reduction: L = −Σ_i w[y_i]·log p_i[y_i] / Σ_i w[y_i] over the pixels whose label is
 * not the ignore label. dLogits = w[y_i]·(p_i − onehot_i) / Σ w. If every pixel is ignored the loss and the
 * gradient are 0 (PyTorch returns NaN). Targets are class labels (N,H,W) of any numeric type.
 */
public final class SoftmaxCrossEntropy implements Loss {

    /** Pixels per chunk of {@link #computeLoops}: its loss is summed per chunk, then over the chunks in order. */
    private static final int LOSS_CHUNK = 4096;
    private final double[] classWeights;
    private final IgnoreLabel ignoreLabel;

    /** Unweighted, nothing ignored. */
    public SoftmaxCrossEntropy() {
        this(null, IgnoreLabel.NONE);
    }

    /**
     * @param classWeights one positive weight per class, or null for all 1
     * @param ignoreLabel pixels with this label contribute nothing
     */
    public SoftmaxCrossEntropy(double[] classWeights, IgnoreLabel ignoreLabel) {
        if (classWeights != null) {
            for (double w : classWeights) {
                if (!(w >= 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException("class weights must be finite and >= 0, got "
                            + java.util.Arrays.toString(classWeights));
                }
            }
        }
        this.classWeights = classWeights == null ? null : classWeights.clone();
        this.ignoreLabel = Objects.requireNonNull(ignoreLabel, "ignoreLabel (IgnoreLabel.NONE for none)");
    }

    @Override
    public LossResult compute(INDArray logits, INDArray labels) {
        if (logits.dataType() == DataType.FLOAT && Scalars.hostMemory()) {
            return computeLoops(logits, labels);
        }
        int k = Labels.check("SoftmaxCrossEntropy", logits, labels, ignoreLabel);
        DataType dt = logits.dataType();
        requireWeightsFor(k, logits);
        INDArray valid = Labels.valid(labels, ignoreLabel, dt);                      // (N,H,W)
        INDArray oneHot = Labels.oneHot(labels, valid, k, dt);                       // (N,K,H,W)
        INDArray weightedOneHot = classWeights == null ? oneHot
                : oneHot.mul(Bcast.perChannel(Nd4j.create(classWeights).castTo(dt)));  // w[k]·onehot
        INDArray pixelWeight = weightedOneHot.sum(1);                                // (N,H,W) w[y_i], 0 if ignored
        double total = pixelWeight.sumNumber().doubleValue();
        if (total == 0) {
            return new LossResult(0.0, Nd4j.zeros(dt, logits.shape()));
        }
        INDArray logP = Softmax.log(logits);                                         // (N,K,H,W)
        double loss = -weightedOneHot.mul(logP).sumNumber().doubleValue() / total;
        INDArray p = Transforms.exp(logP, false);
        INDArray dLogits = p.muli(Bcast.perPixel(pixelWeight)).subi(weightedOneHot).divi(total);
        return new LossResult(loss, dLogits);
    }

    /**
     * {@link #compute} for float32 on the CPU backend as a loop over the pixels (split over the cores), in place of some fifteen ND4J
     * ops over the (N,K,H,W) logits (the U-Net benchmark's tiny step spent 3.7 ms in them, one thread): per pixel,
     * log p = s − log Σ exp(s) with s = logits − their maximum, in float32 as the ND4J path computes it; the loss
     * summed in double.
     */
    private LossResult computeLoops(INDArray logits, INDArray labels) {
        String what = "SoftmaxCrossEntropy";
        int k = Labels.checkShapes(what, logits, labels, ignoreLabel);
        requireWeightsFor(k, logits);
        int n = (int) logits.size(0), hw = (int) (logits.size(2) * logits.size(3));
        double[] y = labels.castTo(DataType.DOUBLE).reshape(labels.length()).toDoubleVector();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, total = 0;
        for (double v : y) {
            if (ignored(v)) {
                continue;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (min <= max) {
            Labels.requireRange(what, min, max, k, ignoreLabel);
        }
        float[] w = new float[k];
        for (int c = 0; c < k; c++) {
            w[c] = classWeights == null ? 1f : (float) classWeights[c];
        }
        for (double v : y) {
            if (!ignored(v)) {
                total += w[(int) v];
            }
        }
        if (total == 0) {
            return new LossResult(0.0, Nd4j.zeros(DataType.FLOAT, logits.shape()));
        }
        INDArray lc = Scalars.contiguous(logits);
        float[] x = lc.reshape(lc.length()).toFloatVector();
        float[] d = new float[x.length];
        float inv = (float) (1 / total);
        // pixels in fixed chunks over the cores; each chunk's loss is summed apart and the chunks in order, so the
        // loss does not depend on the number of threads (one thread spent 4-5 ms per tiny step here, mostly in exp)
        int pixels = n * hw, chunks = (pixels + LOSS_CHUNK - 1) / LOSS_CHUNK;
        double[] partial = new double[chunks];
        ParallelRanges.runDynamic(pixels, LOSS_CHUNK, (from, to) -> {
            float[] s = new float[k];
            double chunkLoss = 0;
            for (int px = from; px < to; px++) {
                int i = px / hw, q = px - i * hw, at = i * k * hw + q;
                double label = y[px];
                boolean ignored = ignored(label);
                int t = ignored ? -1 : (int) label;
                float m = x[at];
                for (int c = 1; c < k; c++) {
                    m = Math.max(m, x[at + c * hw]);
                }
                float sum = 0;
                for (int c = 0; c < k; c++) {
                    s[c] = x[at + c * hw] - m;
                    sum += (float) Math.exp(s[c]);
                }
                float lse = (float) Math.log(sum);
                float pw = ignored ? 0f : w[t];
                for (int c = 0; c < k; c++) {
                    float logP = s[c] - lse;
                    d[at + c * hw] = ((float) Math.exp(logP) * pw - (c == t ? pw : 0f)) * inv;
                }
                if (!ignored) {
                    chunkLoss -= (double) pw * (s[t] - lse);
                }
            }
            partial[from / LOSS_CHUNK] = chunkLoss;
        });
        double loss = 0;
        for (double v : partial) {
            loss += v;
        }
        return new LossResult(loss / total, Nd4j.create(d, logits.shape(), 'c'));
    }

    /** Whether a label (any numeric type, as a double) is the ignore label. */
    private boolean ignored(double label) {
        return !ignoreLabel.isNone() && label == ignoreLabel.value();
    }

    /** Refuses class weights whose count is not the logits' K. */
    private void requireWeightsFor(int k, INDArray logits) {
        if (classWeights != null && classWeights.length != k) {
            throw new IllegalArgumentException("SoftmaxCrossEntropy: expected " + k + " class weights for logits "
                    + java.util.Arrays.toString(logits.shape()) + ", got " + classWeights.length);
        }
    }
}
