package org.segmentation.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCli;
import org.segmentation.bench.experiment.MaskRCNNExperiment.Config;
import org.segmentation.bench.experiment.MaskRCNNExperiment.Data;
import org.segmentation.bench.experiment.MaskRCNNExperiment.Result;
import org.segmentation.bench.experiment.MaskRCNNExperiment.SideResult;
import org.segmentation.bench.testutil.PeerPython;
import org.segmentation.core.image.LabelMap;
import org.segmentation.core.image.PlanarF32;
import org.segmentation.core.segment.InstanceSegmentation;
import org.segmentation.nn.data.CocoInstances;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;
import org.segmentation.nn.data.SyntheticCells;

class MaskRCNNExperimentTest {
    /** 4 training and 2 validation images of 32 px, 2 steps of 2 per side, a 2-step U-Net. */
    private static Config tiny(Data data) {
        return new Config(data, 4, 2, 32, 2, 2, 0.01, true, 2, 3, 2);
    }

    @Test
    void compositesKeepTheItemsSizeRelativeToTheImage() {
        // the generator's 128-px defaults paste items of 28 to 70 px (scale 1 to 2.5); at 64 px they are halved,
        // 14 to 35 px. An item's visible part (occlusion only removes pixels) spans at most its pasted size
        double largest64 = largestInstanceSide(MaskRCNNExperiment.instanceData(Data.composites, 24, 5, 64));
        double largest128 = largestInstanceSide(MaskRCNNExperiment.instanceData(Data.composites, 24, 5, 128));
        assertTrue(largest64 <= 35, "64 px: an instance spans " + largest64 + " px");
        assertTrue(largest128 > 35 && largest128 <= 70, "128 px: the largest instance spans " + largest128 + " px");
    }

    private static double largestInstanceSide(InMemoryDataset data) {
        double largest = 0;
        for (int i = 0; i < data.size(); i++) {
            InstanceSegmentation s = InstanceSegmentation.fromLabels(data.get(i).instances(), null);
            for (int k = 0; k < s.size(); k++) {
                largest = Math.max(largest, Math.max(s.boxes()[4 * k + 2] - s.boxes()[4 * k],
                        s.boxes()[4 * k + 3] - s.boxes()[4 * k + 1]));
            }
        }
        return largest;
    }

    @Test
    void cellsWithoutThePeerWriteTheCocoDataAndScoreOursAndTheUNet(@TempDir Path dir) throws Exception {
        MaskRCNNExperiment e = new MaskRCNNExperiment(tiny(Data.cells));
        Result r = e.run(dir, null, null, null);
        assertNull(r.peerError());
        assertEquals(List.of("ours", "unet+watershed"), r.sides().stream().map(SideResult::side).toList());
        for (SideResult s : r.sides()) {
            assertTrue(s.ap() >= -1 && s.ap() <= 1 && s.ap50() >= -1 && s.ap50() <= 1, s.toString());
            assertEquals(2, s.steps());
            assertTrue(s.trainSeconds() > 0 && Double.isFinite(s.finalLoss()), s.toString());
            assertTrue(Files.isRegularFile(dir.resolve(s.side().equals("ours") ? "ours" : "unet")
                    .resolve("results.json")));
        }

        // the COCO files hold the generated images (to 8 bits) and one annotation per instance
        CocoInstances val = CocoInstances.open(dir.resolve("data/val.json"), dir.resolve("data/val"), 1);
        InMemoryDataset generated = MaskRCNNExperiment.instanceData(Data.cells, 2, 4, 32);
        assertEquals(2, val.size());
        for (int i = 0; i < 2; i++) {
            Sample g = generated.get(i);
            Sample read = val.sample(i);
            for (int p = 0; p < 32 * 32; p++) {
                assertEquals(Math.max(0, Math.min(1, g.image().data[p])), read.image().data[p], 0.5 / 255 + 1e-6);
                assertEquals(g.instances().data[p] > 0, read.instances().data[p] > 0);
            }
            assertEquals(InstanceSegmentation.fromLabels(g.instances(), null).size(),
                    val.dataset().annotations(val.imageId(i)).size());
        }

        JsonNode j = new ObjectMapper().readTree(dir.resolve(MaskRCNNExperiment.JSON_FILE).toFile());
        assertEquals("maskrcnn", j.get("experiment").asText());
        assertEquals("cells", j.get("config").get("data").asText());
        assertEquals(1, j.get("model").get("input_channels").asInt());
        assertEquals(2, j.get("model").get("classes").asInt());
        for (String f : List.of("side", "version", "ap", "ap50", "ap75", "train_seconds", "steps", "final_loss",
                "detections")) {
            assertTrue(j.get("sides").get(0).has(f), f);
        }
        assertEquals(r.side("ours").ap(), j.get("sides").get(0).get("ap").asDouble(-2), 1e-15);
        String md = Files.readString(dir.resolve(MaskRCNNExperiment.MARKDOWN_FILE));
        assertTrue(md.contains("| ours |") && md.contains("| unet+watershed |"), md);
    }

    @Test
    void compositesWithTorchvisionThroughTheCommandLine(@TempDir Path dir) throws Exception {
        PeerPython.require(PeerPython.canImport("torch, torchvision, numpy, PIL"),
                "/usr/bin/python3 with torch, torchvision and PIL is needed");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SegCli.run(new PrintWriter(out, true), new PrintWriter(err, true), "experiment", "maskrcnn",
                "--data", "composites", "--count", "4", "--val", "2", "--size", "32", "--steps", "2", "--batch", "2",
                "--unet-steps", "2", "--seed", "3", "--peers", "peers", "--no-progress", "--out", dir.toString());
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("| torchvision |"), out.toString());
        JsonNode j = new ObjectMapper().readTree(dir.resolve(MaskRCNNExperiment.JSON_FILE).toFile());
        assertEquals("composites", j.get("config").get("data").asText());
        assertEquals(11, j.get("class_names").size());
        assertEquals(3, j.get("sides").size());
        assertEquals("unet+watershed", j.get("sides").get(2).get("side").asText());
        assertEquals(2, j.get("sides").get(2).get("steps").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("unet/results.json")));
        JsonNode peer = j.get("sides").get(1);
        assertEquals("torchvision", peer.get("side").asText());
        assertTrue(peer.get("version").asText().contains("torchvision 0.14"), peer.toString());
        assertEquals(2, peer.get("steps").asInt());
        assertTrue(peer.get("train_seconds").asDouble() > 0);
        assertTrue(peer.has("ap") && peer.has("ap50") && peer.has("ap75"), peer.toString());
        assertNotNull(j.get("ap_difference"));
        assertNull(j.get("peer_error"));
        assertTrue(Files.isRegularFile(dir.resolve("torchvision/results.json")));
    }

    @Test
    void uNetTargetOfOneClassIsTheThreeClassTargetOfCells() {
        InMemoryDataset cells = MaskRCNNExperiment.instanceData(Data.cells, 3, 8, 64);
        for (int i = 0; i < cells.size(); i++) {
            Sample s = cells.get(i);
            LabelMap t = MaskRCNNExperiment.unetTarget(s.instances(), s.target(), 2);
            assertArrayEquals(SyntheticCells.threeClassTarget(s.instances(), null).data, t.data, "image " + i);
        }
        LabelMap instances = LabelMap.wrap(new int[] {0, 1, 1, 1}, 2, 2);
        LabelMap classes = LabelMap.wrap(new int[] {0, 1, 3, 1}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MaskRCNNExperiment.unetTarget(instances, classes, 3));
        assertTrue(e.getMessage().contains("(0, 1)") && e.getMessage().contains("class 3"), e.getMessage());
    }

    @Test
    void uNetDecodingFindsTouchingInstancesOfTwoClassesAndScoresThem() {
        // two touching 4x4 items, class 1 left and class 2 right, K = 3: target 0 background, 1 and 2 interiors,
        // 3 boundary (columns 3 and 4, where the items meet; the image border is no boundary)
        int w = 8, h = 4;
        int[] ids = new int[w * h];
        int[] cls = new int[w * h];
        for (int p = 0; p < w * h; p++) {
            ids[p] = p % w < 4 ? 1 : 2;
            cls[p] = ids[p];
        }
        LabelMap target = MaskRCNNExperiment.unetTarget(LabelMap.wrap(ids, w, h), LabelMap.wrap(cls, w, h), 3);
        // probabilities: 0.7 on the target's channel, 0.1 on each of the three others
        PlanarF32 probs = new PlanarF32(4, w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 4; c++) {
                    probs.set(c, x, y, c == target.get(x, y) ? 0.7f : 0.1f);
                }
            }
        }
        InstanceSegmentation s = MaskRCNNExperiment.decode(probs);
        assertEquals(2, s.size());
        assertArrayEquals(new int[] {1, 2}, s.classes());
        assertArrayEquals(ids, s.labels().data, "the watershed gives each item its boundary column");
        assertArrayEquals(new double[] {0, 0, 4, 4, 4, 0, 8, 4}, s.boxes(), 0);
        // by hand, per item: foreground 1 - 0.1 everywhere; its class's interior probability 12 x 0.7 + 4 x 0.1
        // = 8.8 of the summed interiors' 12 x 0.8 + 4 x 0.2 = 10.4
        assertEquals(0.9 * 8.8 / 10.4, s.scores()[0], 1e-6);
        assertEquals(0.9 * 8.8 / 10.4, s.scores()[1], 1e-6);

        // one class (3 channels): the score is the mean foreground probability, whatever the interior's share
        PlanarF32 three = new PlanarF32(3, w, h);
        for (int p = 0; p < w * h; p++) {
            int x = p % w, y = p / w;
            boolean boundary = target.get(x, y) == 3;
            three.set(0, x, y, 0.2f);
            three.set(1, x, y, boundary ? 0.1f : 0.7f);
            three.set(2, x, y, boundary ? 0.7f : 0.1f);
        }
        InstanceSegmentation one = MaskRCNNExperiment.decode(three);
        assertArrayEquals(new int[] {1, 1}, one.classes());
        assertEquals(0.8, one.scores()[0], 1e-6);
        assertEquals(0.8, one.scores()[1], 1e-6);
    }

    @Test
    void configRejectsBadValuesAndHelpNamesTheExperiment() {
        assertThrows(IllegalArgumentException.class, () -> new Config(Data.cells, 1, 2, 32, 2, 2, 0.01, true, 0, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new Config(Data.cells, 4, 2, 36, 2, 2, 0.01, true, 0, 1, 2));
        StringWriter parent = new StringWriter();
        assertEquals(0, SegCli.run(new PrintWriter(parent, true), new PrintWriter(new StringWriter(), true),
                "experiment", "--help"));
        assertTrue(parent.toString().contains("maskrcnn"), parent.toString());
    }
}
