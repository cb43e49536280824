package org.segmentation.nn.detect;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the anchors (or proposals) that a detection loss is computed on, torchvision's
 * {@code BalancedPositiveNegativeSampler}: at most {@code batchSizePerImage·positiveFraction} positives (label
 * &gt;= 1) drawn at random without replacement, then negatives (label 0) to fill the batch up to
 * {@code batchSizePerImage}, as far as there are enough. Ignored ones (label −1) are never picked. The draw comes
 * from the caller's seeded {@link Random}; torchvision draws from torch's generator, so the two pick different
 * anchors of the same counts.
 *
 * @param batchSizePerImage anchors per image (RPN 256, box head 512), positive
 * @param positiveFraction the largest share of positives (0.5 for the RPN, 0.25 for the box head), in [0, 1]
 */
public record BalancedSampler(int batchSizePerImage, double positiveFraction) {
    public BalancedSampler {
        if (batchSizePerImage <= 0 || !(positiveFraction >= 0 && positiveFraction <= 1)) {
            throw new IllegalArgumentException("BalancedSampler: expected a positive batch size and a fraction in"
                    + " [0, 1], got " + batchSizePerImage + " and " + positiveFraction);
        }
    }

    /** The chosen positives and negatives of one image, indices ascending. */
    public record Sample(int[] positives, int[] negatives) {
    }

    /**
     * @param labels per anchor: &gt;= 1 positive (a class), 0 background, −1 ignored
     */
    public Sample sample(int[] labels, Random rng) {
        int pos = 0;
        int neg = 0;
        for (int l : labels) {
            if (l >= 1) {
                pos++;
            } else if (l == 0) {
                neg++;
            } else if (l != -1) {
                throw new IllegalArgumentException("BalancedSampler: labels must be >= -1, got " + l);
            }
        }
        int[] p = new int[pos];
        int[] q = new int[neg];
        for (int i = 0, a = 0, b = 0; i < labels.length; i++) {
            if (labels[i] >= 1) {
                p[a++] = i;
            } else if (labels[i] == 0) {
                q[b++] = i;
            }
        }
        int numPos = Math.min((int) (batchSizePerImage * positiveFraction), pos);
        int numNeg = Math.min(batchSizePerImage - numPos, neg);
        return new Sample(pick(p, numPos, rng), pick(q, numNeg, rng));
    }

    /** k of the values, uniformly without replacement (a partial Fisher-Yates shuffle), sorted. */
    private static int[] pick(int[] values, int k, Random rng) {
        int[] v = values.clone();
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(v.length - i);
            int t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        int[] out = Arrays.copyOf(v, k);
        Arrays.sort(out);
        return out;
    }
}
