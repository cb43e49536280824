package org.segmentation.core.coco;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.segmentation.core.metrics.CocoAveragePrecision;

/**
 * Mask AP of results against a COCO instances dataset, as COCO's evaluation code computes it for
 * {@code iouType='segm'} over all areas: every image of the dataset in ascending id order, every category, crowd
 * annotations ignored; see {@link CocoAveragePrecision} for the matching and the averaging. IoUs are computed on
 * the run-length masks ({@link CocoRle#iou}), as COCO's code does, so a dataset of large images is not decoded.
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
        for (Map.Entry<Long, List<CocoResults.Detection>> e : byImage.entrySet()) {
            CocoDataset.Image img = truth.images().get(e.getKey());
            List<CocoResults.Detection> dets = e.getValue();
            List<CocoDataset.Annotation> gts = truth.annotations(e.getKey());
            java.util.SortedSet<Integer> categories = new java.util.TreeSet<>();
            dets.forEach(d -> categories.add(d.categoryId()));
            gts.forEach(g -> categories.add(g.categoryId()));
            for (int c : categories) {
                List<CocoResults.Detection> cd = dets.stream().filter(d -> d.categoryId() == c).toList();
                List<CocoDataset.Annotation> cg = gts.stream().filter(g -> g.categoryId() == c).toList();
                double[] scores = new double[cd.size()];
                CocoRle[] dm = new CocoRle[cd.size()];
                for (int k = 0; k < cd.size(); k++) {
                    scores[k] = cd.get(k).score();
                    dm[k] = checked(cd.get(k).mask(), img);
                }
                CocoRle[] gm = new CocoRle[cg.size()];
                boolean[] crowd = new boolean[cg.size()];
                for (int k = 0; k < cg.size(); k++) {
                    gm[k] = checked(cg.get(k).mask(), img);
                    crowd[k] = cg.get(k).crowd();
                }
                ap.add(c, scores, CocoRle.iou(dm, gm, crowd), crowd);
            }
        }
        return ap.compute();
    }

    private static CocoRle checked(CocoRle rle, CocoDataset.Image img) {
        if (rle.width() != img.width() || rle.height() != img.height()) {
            throw new IllegalArgumentException("CocoEvaluation: a " + rle.width() + "x" + rle.height() + " mask for"
                    + " image " + img.id() + " of " + img.width() + "x" + img.height());
        }
        return rle;
    }
}
