package org.segmentation.nn.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A disjoint train/validation partition of one dataset.
 *
 * @param train the training samples, in the parent's order
 * @param validation the validation samples, in the parent's order
 */
public record DatasetSplit(SubsetDataset train, SubsetDataset validation) {
    /**
     * Splits {@code dataset} at random: {@code round(validationFraction * size)} samples, but at least one and at
     * most {@code size - 1}, go to validation and the rest to training. The choice depends only on {@code seed}
     * and the size; each part keeps the parent's order.
     *
     * @throws IllegalArgumentException if the fraction is not strictly between 0 and 1, or the dataset has fewer
     *     than two samples
     */
    public static DatasetSplit random(SegmentationDataset dataset, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
        }
        int n = dataset.size();
        if (n < 2) {
            throw new IllegalArgumentException("cannot split a dataset of " + n + " sample(s) in two");
        }
        int nVal = (int) Math.min(n - 1, Math.max(1, Math.round(validationFraction * n)));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, n));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] val = Arrays.copyOfRange(order, 0, nVal);
        int[] train = Arrays.copyOfRange(order, nVal, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new DatasetSplit(new SubsetDataset(dataset, train), new SubsetDataset(dataset, val));
    }
}
