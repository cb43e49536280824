package org.segmentation.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.label.IgnoreLabel;

class ConfusionMatrixTest {

    @Test
    void handCaseWithAbsentClassAndIgnoreLabel() {
        // 4 classes, ignore 255. Class 3 appears nowhere.
        LabelMap t = LabelMap.wrap(new int[] {0, 0, 1, 1, 2, 255}, 3, 2);
        LabelMap p = LabelMap.wrap(new int[] {0, 1, 1, 1, 0, 3}, 3, 2);
        ConfusionMatrix cm = new ConfusionMatrix(4, IgnoreLabel.of(255)).add(t, p);
        assertEquals(1, cm.count(0, 0));
        assertEquals(1, cm.count(0, 1));
        assertEquals(2, cm.count(1, 1));
        assertEquals(1, cm.count(2, 0));
        assertEquals(0, cm.count(3, 3)); // the ignored pixel predicted 3 is not counted
        assertEquals(5, cm.total());
        // class 0: TP 1, FP 1 (the 2 predicted 0), FN 1 -> IoU 1/3, Dice 2/4
        // class 1: TP 2, FP 1, FN 0 -> IoU 2/3, Dice 4/5
        // class 2: TP 0, FP 0, FN 1 -> IoU 0, Dice 0
        // class 3: absent -> NaN, excluded from the means
        double[] iou = cm.iou();
        double[] dice = cm.dice();
        assertArrayEquals(new double[] {1.0 / 3, 2.0 / 3, 0.0, Double.NaN}, iou, 0.0);
        assertArrayEquals(new double[] {0.5, 0.8, 0.0, Double.NaN}, dice, 0.0);
        // Means over three classes; one rounding per addition and the division: 1e-15.
        assertEquals((1.0 / 3 + 2.0 / 3 + 0) / 3, cm.meanIoU(), 1e-15);
        assertEquals((0.5 + 0.8 + 0) / 3, cm.meanDice(), 1e-15);
        assertEquals(3.0 / 5, cm.pixelAccuracy(), 0.0);

        // Accumulating the same pair again doubles every count and leaves the ratios alone.
        cm.add(t, p);
        assertEquals(10, cm.total());
        assertArrayEquals(iou, cm.iou(), 0.0);
        cm.reset();
        assertEquals(0, cm.total());
        assertTrue(Double.isNaN(cm.pixelAccuracy()) && Double.isNaN(cm.meanIoU()));
    }

    @Test
    void anIgnoreLabelThatIsAClassIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConfusionMatrix(3, IgnoreLabel.of(0)));
        assertTrue(e.getMessage().contains("ignore label 0"), e.getMessage());
    }

    @Test
    void matchesSetDefinitionOverRandomImages() {
        Random rnd = new Random(21);
        int n = 5;
        int ignore = 9;
        ConfusionMatrix cm = new ConfusionMatrix(n, IgnoreLabel.of(ignore));
        long[] inter = new long[n];
        long[] union = new long[n];
        long[] sizes = new long[n * 2];
        long correct = 0;
        long total = 0;
        for (int img = 0; img < 6; img++) {
            int w = 1 + rnd.nextInt(9);
            int h = 1 + rnd.nextInt(9);
            LabelMap t = RandomLabels.labels(rnd, w, h, n - 1);
            LabelMap p = RandomLabels.labels(rnd, w, h, n - 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (rnd.nextInt(7) == 0) {
                        t.set(x, y, ignore);
                    }
                }
            }
            cm.add(t, p);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int a = t.get(x, y);
                    int b = p.get(x, y);
                    if (a == ignore) {
                        continue;
                    }
                    total++;
                    correct += a == b ? 1 : 0;
                    for (int c = 0; c < n; c++) {
                        inter[c] += a == c && b == c ? 1 : 0;
                        union[c] += a == c || b == c ? 1 : 0;
                        sizes[2 * c] += a == c ? 1 : 0;
                        sizes[2 * c + 1] += b == c ? 1 : 0;
                    }
                }
            }
        }
        double[] iou = cm.iou();
        double[] dice = cm.dice();
        for (int c = 0; c < n; c++) {
            // |A & B| / |A | B| and 2|A & B| / (|A| + |B|): the same integers, so exactly equal.
            assertEquals(union[c] == 0 ? Double.NaN : (double) inter[c] / union[c], iou[c], 0.0);
            long s = sizes[2 * c] + sizes[2 * c + 1];
            assertEquals(s == 0 ? Double.NaN : 2.0 * inter[c] / s, dice[c], 0.0);
        }
        assertEquals((double) correct / total, cm.pixelAccuracy(), 0.0);
        assertEquals(total, cm.total());
    }

    @Test
    void mergingMatricesEqualsAccumulating() {
        Random rnd = new Random(22);
        LabelMap t1 = RandomLabels.labels(rnd, 5, 4, 2);
        LabelMap p1 = RandomLabels.labels(rnd, 5, 4, 2);
        LabelMap t2 = RandomLabels.labels(rnd, 3, 6, 2);
        LabelMap p2 = RandomLabels.labels(rnd, 3, 6, 2);
        ConfusionMatrix both = new ConfusionMatrix(3).add(t1, p1).add(t2, p2);
        ConfusionMatrix merged = new ConfusionMatrix(3).add(t1, p1).add(new ConfusionMatrix(3).add(t2, p2));
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                assertEquals(both.count(a, b), merged.count(a, b));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> both.add(new ConfusionMatrix(3, IgnoreLabel.of(255))));
        assertThrows(IllegalArgumentException.class, () -> both.add(new ConfusionMatrix(4)));
    }

    @Test
    void invalidLabelsAreNamedAndLeaveTheMatrixUntouched() {
        ConfusionMatrix cm = new ConfusionMatrix(3, IgnoreLabel.of(255));
        LabelMap t = LabelMap.wrap(new int[] {0, 1, 2, 255, 2, 7}, 3, 2);
        LabelMap p = LabelMap.wrap(new int[] {0, 1, 2, 99, 1, 0}, 3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cm.add(t, p));
        assertEquals("true label 7 at (2, 1) is not a class in 0..2 nor the ignore label 255", e.getMessage());
        assertEquals(0, cm.total());
        t.set(2, 1, 2);
        p.set(1, 1, -1);
        e = assertThrows(IllegalArgumentException.class, () -> cm.add(t, p));
        assertEquals("predicted label -1 at (1, 1) is not a class in 0..2", e.getMessage());
        p.set(1, 1, 1);
        cm.add(t, p); // the 99 predicted at the ignored pixel is not read
        assertEquals(5, cm.total());
        e = assertThrows(IllegalArgumentException.class, () -> cm.add(t, new LabelMap(2, 3)));
        assertTrue(e.getMessage().contains("2x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConfusionMatrix(0));
        assertThrows(IllegalArgumentException.class, () -> cm.count(3, 0));
    }

    @Test
    void countsRoundTripThroughFromCounts() {
        ConfusionMatrix cm = new ConfusionMatrix(3, IgnoreLabel.of(9)).add(
                LabelMap.wrap(new int[] {0, 1, 2, 9, 2, 1}, 3, 2), LabelMap.wrap(new int[] {0, 2, 2, 0, 1, 1}, 3, 2));
        long[] counts = cm.counts();
        assertArrayEquals(new long[] {1, 0, 0, 0, 1, 1, 0, 1, 1}, counts);
        ConfusionMatrix back = ConfusionMatrix.fromCounts(3, IgnoreLabel.of(9), counts);
        counts[0] = 100; // copied in and out
        assertEquals(1, back.count(0, 0));
        assertEquals(cm.meanIoU(), back.meanIoU());
        assertEquals(cm.pixelAccuracy(), back.pixelAccuracy());
        assertThrows(IllegalArgumentException.class, () -> ConfusionMatrix.fromCounts(3, IgnoreLabel.NONE, new long[8]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfusionMatrix.fromCounts(2, IgnoreLabel.NONE, new long[] {1, -1, 0, 0}));
        assertTrue(e.getMessage().contains("[0][1] is -1"), e.getMessage());
    }
}
