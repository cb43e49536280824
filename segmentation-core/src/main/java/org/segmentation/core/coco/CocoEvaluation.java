package org.segmentation.core.coco;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.segmentation.core.image.Mask;
import org.segmentation.core.metrics.CocoAveragePrecision;

/**
 * Mask AP of results against a COCO instances dataset, as COCO's evaluation code computes it for
 * {@code iouType='segm'} over all areas: every image of the dataset in ascending id order, every category, crowd
 * annotations ignored; see {@link CocoAveragePrecision} for the matching and the averaging.
 */
public final class CocoEvaluation {
    private CocoEvaluation() {
    }

    /**
     * @param maxDetections detections kept per image and category, by score (COCO's summary uses 100)
     * @throws IllegalArgumentException if a result names an image or category the dataset does not have, or its
     *     mask is of another size than its image ({@link CocoResults#read} rules these out)
     */
    public static CocoAveragePrecision.Result masks(CocoDataset truth, List<CocoResults.Detection> results,
            int maxDetections) {
        Map<Long, List<CocoResults.Detection>> byImage = new TreeMap<>();
        for (long id : truth.images().keySet()) {
            byImage.put(id, new ArrayList<>());
        }
        for (CocoResults.Detection d : results) {
            List<CocoResults.Detection> list = byImage.get(d.imageId());
            if (list == null || !truth.categories().containsKey(d.categoryId())) {
                throw new IllegalArgumentException("CocoEvaluation: result of image " + d.imageId() + ", category "
                        + d.categoryId() + ", which the dataset does not have");
            }
            list.add(d);
        }
        CocoAveragePrecision ap = new CocoAveragePrecision(maxDetections);
        Mask scratch = null;
        for (Map.Entry<Long, List<CocoResults.Detection>> e : byImage.entrySet()) {
            CocoDataset.Image img = truth.images().get(e.getKey());
            List<CocoResults.Detection> dets = e.getValue();
            List<CocoDataset.Annotation> gts = truth.annotations(e.getKey());
            int[] detClasses = new int[dets.size()];
            double[] scores = new double[dets.size()];
            boolean[][] detMasks = new boolean[dets.size()][];
            for (int k = 0; k < dets.size(); k++) {
                CocoResults.Detection d = dets.get(k);
                detClasses[k] = d.categoryId();
                scores[k] = d.score();
                scratch = decode(d.mask(), img, scratch);
                detMasks[k] = pixels(scratch);
            }
            int[] gtClasses = new int[gts.size()];
            boolean[][] gtMasks = new boolean[gts.size()][];
            boolean[] crowd = new boolean[gts.size()];
            for (int k = 0; k < gts.size(); k++) {
                gtClasses[k] = gts.get(k).categoryId();
                crowd[k] = gts.get(k).crowd();
                scratch = decode(gts.get(k).mask(), img, scratch);
                gtMasks[k] = pixels(scratch);
            }
            ap.addMasks(detClasses, scores, detMasks, gtClasses, gtMasks, crowd);
        }
        return ap.compute();
    }

    private static Mask decode(CocoRle rle, CocoDataset.Image img, Mask out) {
        if (rle.width() != img.width() || rle.height() != img.height()) {
            throw new IllegalArgumentException("CocoEvaluation: a " + rle.width() + "x" + rle.height() + " mask for"
                    + " image " + img.id() + " of " + img.width() + "x" + img.height());
        }
        return rle.decode(out);
    }

    private static boolean[] pixels(Mask m) {
        boolean[] p = new boolean[m.width * m.height];
        for (int y = 0; y < m.height; y++) {
            for (int x = 0; x < m.width; x++) {
                p[y * m.width + x] = m.unsafe_get(x, y);
            }
        }
        return p;
    }
}
