package org.segmentation.nn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.segmentation.nn.detect.AnchorGenerator;
import org.segmentation.nn.detect.RoiHeadsConfig;
import org.segmentation.nn.detect.RpnConfig;
import org.segmentation.nn.optim.Adam;
import org.segmentation.nn.param.Parameter;
import org.segmentation.nn.testutil.TorchPeer;

/**
 * The assembled {@link MaskRCNN}: its parameter and buffer names and shapes equal those of torchvision 0.14's
 * {@code MaskRCNN} of the same configuration (live peer, skipped without torchvision); a few training steps on a
 * fixed batch of two synthetic images (one without any object) lower the total loss; prediction returns at most
 * the configured number of detections with mask probabilities in [0, 1], which paste into an instance label map.
 */
class MaskRCNNTest {

    static MaskRCNNConfig tiny() {
        ResNetConfig backbone = new ResNetConfig(ResNetConfig.Block.BASIC, new int[] {1, 1, 1, 1},
                new int[] {8, 16, 16, 16}, 8, 3);
        return new MaskRCNNConfig(backbone, 16, AnchorGenerator.small(),
                new RpnConfig(200, 100, 100, 50, 0.7, 0.7, 0.3, 64, 0.5, 0.0, 1e-3),
                new RoiHeadsConfig(0.5, 0.5, 64, 0.25, 0.05, 0.5, 20), 3, 32, 8, DataType.FLOAT);
    }

    /** Image 0: a bright rectangle (class 1) and a dark ellipse (class 2) on noise; image 1: noise only. */
    static List<MaskRCNN.Target> batch(INDArray images) {
        Random rng = new Random(3);
        int h = 64;
        int w = 64;
        float[] px = new float[2 * 3 * h * w];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (0.2 * rng.nextGaussian());
        }
        float[] m = new float[2 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean rect = x >= 8 && x < 30 && y >= 10 && y < 34;
                double ex = (x + 0.5 - 44) / 12;
                double ey = (y + 0.5 - 42) / 14;
                boolean ell = ex * ex + ey * ey <= 1;
                for (int c = 0; c < 3; c++) {
                    int at = (c * h + y) * w + x;
                    px[at] += rect ? 1.5f : ell ? -1.5f : 0;
                }
                m[y * w + x] = rect ? 1 : 0;
                m[(h + y) * w + x] = ell ? 1 : 0;
            }
        }
        images.assign(Nd4j.create(px, new long[] {2, 3, h, w}, 'c'));
        List<MaskRCNN.Target> t = new ArrayList<>();
        t.add(new MaskRCNN.Target(new double[] {8, 10, 30, 34, 32, 28, 56, 56}, new int[] {1, 2},
                Nd4j.create(m, new long[] {2, h, w}, 'c')));
        t.add(new MaskRCNN.Target(new double[0], new int[0], Nd4j.zeros(DataType.FLOAT, 0, h, w)));
        return t;
    }

    @Test
    void lossFallsOnAFixedBatchAndPredictionIsWellFormed() {
        MaskRCNN model = new MaskRCNN(tiny(), 1);
        INDArray images = Nd4j.zeros(DataType.FLOAT, 2, 3, 64, 64);
        List<MaskRCNN.Target> targets = batch(images);
        Adam adam = Adam.adam(model.parameters(), 2e-3, 0.9, 0.999, 1e-8, 0);
        Random rng = new Random(4);
        double[] totals = new double[30];
        MaskRCNN.Losses first = null;
        MaskRCNN.Losses last = null;
        for (int step = 0; step < totals.length; step++) {
            model.parameters().zeroGradients();
            MaskRCNN.Losses l = model.trainStep(images, targets, rng);
            adam.step();
            totals[step] = l.total();
            assertTrue(Double.isFinite(l.total()), "step " + step + " loss " + l);
            first = first == null ? l : first;
            last = l;
        }
        double start = Arrays.stream(totals, 0, 3).average().orElseThrow();
        double end = Arrays.stream(totals, totals.length - 3, totals.length).average().orElseThrow();
        org.slf4j.LoggerFactory.getLogger(MaskRCNNTest.class).info("total loss {} -> {}; first {} last {}", start, end,
                first, last);
        assertTrue(end < 0.7 * start, "total loss should fall by 30%: " + Arrays.toString(totals));
        assertTrue(last.mask() < first.mask(), "mask loss " + first.mask() + " -> " + last.mask());

        List<MaskRCNN.Instances> out = model.predict(images);
        assertEquals(2, out.size());
        org.slf4j.LoggerFactory.getLogger(MaskRCNNTest.class).info("detections per image: {}, {}; labels {}",
                out.get(0).size(), out.get(1).size(), Arrays.toString(out.get(0).labels()));
        for (MaskRCNN.Instances inst : out) {
            assertTrue(inst.size() <= 20, "detections capped at 20, got " + inst.size());
            assertEquals(inst.size(), inst.maskProbabilities().size(0));
            if (inst.size() > 0) {
                assertTrue(inst.maskProbabilities().minNumber().doubleValue() >= 0
                        && inst.maskProbabilities().maxNumber().doubleValue() <= 1);
                for (int l : inst.labels()) {
                    assertTrue(l == 1 || l == 2, "label " + l);
                }
                org.segmentation.core.image.LabelMap map = inst.labelMap(64, 64, 0.5);
                assertEquals(64, map.width);
                assertTrue(map.maxLabel() <= inst.size(), "labels 0.." + inst.size() + ", got " + map.maxLabel());
            }
        }
    }

    @Test
    void namesAndShapesEqualTorchvisionsStateDict() throws Exception {
        assumeTrue(TorchPeer.available(), "no torchvision for " + TorchPeer.PYTHON);
        MaskRCNNConfig c = tiny();
        MaskRCNN model = new MaskRCNN(c, 1);
        TorchPeer.Result r = TorchPeer.script("torch_maskrcnn_names.py", "BASIC", "1,1,1,1", "8,16,16,16", "8", "16",
                "3", "32", "8", Integer.toString(c.anchors().anchorsPerCell(0)));
        assertEquals(0, r.exit(), r.output());
        @SuppressWarnings("unchecked")
        Map<String, List<Integer>> torch = new ObjectMapper().readValue(r.output().trim(), Map.class);
        Map<String, List<Integer>> ours = new TreeMap<>();
        for (Parameter p : model.parameters().parameters()) {
            ours.put(p.name(), Arrays.stream(p.shape()).mapToInt(v -> (int) v).boxed().toList());
        }
        model.buffers().forEach((k, v) -> ours.put(k, Arrays.stream(v.shape()).mapToInt(x -> (int) x).boxed()
                .toList()));
        assertEquals(new TreeMap<>(torch), ours);
    }

    @Test
    void badInputIsRejected() {
        MaskRCNN model = new MaskRCNN(tiny(), 1);
        INDArray images = Nd4j.zeros(DataType.FLOAT, 1, 3, 64, 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.trainStep(images,
                List.of(), new Random(1)));
        assertTrue(e.getMessage().contains("expected 1 targets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MaskRCNN.Target(new double[] {5, 5, 2, 9},
                new int[] {1}, Nd4j.zeros(DataType.FLOAT, 1, 64, 64)));
        assertTrue(e.getMessage().contains("x1 > x2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.trainStep(images, List.of(new MaskRCNN.Target(
                new double[] {1, 1, 9, 9}, new int[] {1}, Nd4j.zeros(DataType.FLOAT, 1, 32, 32))), new Random(1)));
        assertTrue(e.getMessage().contains("expected 64x64"), e.getMessage());
    }
}
