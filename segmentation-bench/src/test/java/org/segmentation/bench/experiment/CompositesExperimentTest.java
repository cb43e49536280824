package org.segmentation.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segmentation.bench.cli.SegCli;
import org.segmentation.bench.experiment.CompositesExperiment.Config;
import org.segmentation.bench.experiment.CompositesExperiment.Result;
import org.segmentation.bench.experiment.CompositesExperiment.Results;
import org.segmentation.bench.experiment.CompositesExperiment.Spread;
import org.segmentation.bench.experiment.CompositesExperiment.SideResult;
import org.segmentation.bench.testutil.PeerPython;
import org.segmentation.core.io.DType;
import org.segmentation.core.io.NpyFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.data.InMemoryDataset;
import org.segmentation.nn.data.Sample;

class CompositesExperimentTest {
    private static final Path PYTHON = PeerPython.PYTHON;
    private static final Path SCRIPT = Path.of("peers", CompositesExperiment.PEER_SCRIPT);

    /** 6 training and 2 validation images of 32 px, a depth-2 U-Net with 4 filters, 3 steps of 2. */
    private static Config tiny() {
        return Config.defaults().withBudget(6, 2, 3, 2).withModel(32, 2, 4);
    }

    @Test
    void tinyRunGivesMetricsAndWritesTheDataBothSidesRead(@TempDir Path dir) throws Exception {
        CompositesExperiment e = new CompositesExperiment(tiny());
        Results rs = e.run(dir, 1, null, null, null);
        assertEquals(1, rs.runs().size());
        Result r = rs.runs().get(0);

        SideResult ours = r.ours();
        assertTrue(ours.meanIoU() >= 0 && ours.meanIoU() <= 1, "mIoU " + ours.meanIoU());
        assertTrue(ours.pixelAccuracy() >= 0 && ours.pixelAccuracy() <= 1);
        assertEquals(11, ours.iou().length);
        assertEquals(3, ours.steps());
        assertNull(r.peer());
        assertNull(r.peerError());

        Path data = dir.resolve("data");
        Tensor trainImages = NpyFiles.read(data.resolve("train_images.npy"));
        Tensor trainLabels = NpyFiles.read(data.resolve("train_labels.npy"));
        Tensor valImages = NpyFiles.read(data.resolve("val_images.npy"));
        Tensor valLabels = NpyFiles.read(data.resolve("val_labels.npy"));
        assertEquals(DType.F32, trainImages.dtype());
        assertArrayEquals(new long[] {6, 1, 32, 32}, trainImages.shape());
        assertEquals(DType.U8, trainLabels.dtype());
        assertArrayEquals(new long[] {6, 32, 32}, trainLabels.shape());
        assertArrayEquals(new long[] {2, 1, 32, 32}, valImages.shape());
        assertArrayEquals(new long[] {2, 32, 32}, valLabels.shape());

        // The files hold exactly the generated composites, so the PyTorch side trains on our pixels.
        InMemoryDataset val = e.validationSet();
        for (int i = 0; i < 2; i++) {
            Sample s = val.get(i);
            for (int p = 0; p < 32 * 32; p++) {
                assertEquals(s.image().data[p], valImages.floats()[i * 1024 + p]);
                assertEquals(s.target().data[p], valLabels.bytes()[i * 1024 + p]);
            }
        }
        JsonNode model = new ObjectMapper().readTree(data.resolve("model.json").toFile());
        assertEquals(11, model.get("classes").asInt());
        assertEquals(2, model.get("depth").asInt());

        JsonNode results = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(ours.meanIoU(), results.get("runs").get(0).get("sides").get(0).get("mean_iou").asDouble());
        assertEquals(7, results.get("runs").get(0).get("train_seed").asLong());
        assertEquals(ours.meanIoU(), results.get("summary").get("ours").get("mean_iou").asDouble());
        assertTrue(results.get("summary").get("ours").get("sd_iou").isNull(), "one run has no spread");
        assertTrue(Files.readString(dir.resolve("results.md")).contains("| ours |"));
    }

    @Test
    void torchScriptTrainsOnTheSameDataAndPrintsValidJson(@TempDir Path dir) throws Exception {
        PeerPython.require(PeerPython.canImport("torch, numpy"), "/usr/bin/python3 with torch is needed");
        CompositesExperiment e = new CompositesExperiment(tiny());
        e.writeData(e.trainingSet(), e.validationSet(), dir);
        SideResult peer = e.runPeer(PYTHON, SCRIPT, dir);
        assertEquals("pytorch", peer.side());
        assertTrue(peer.meanIoU() >= 0 && peer.meanIoU() <= 1, "mIoU " + peer.meanIoU());
        assertTrue(peer.pixelAccuracy() >= 0 && peer.pixelAccuracy() <= 1);
        assertEquals(11, peer.iou().length);
        assertEquals(3, peer.steps());
        assertTrue(peer.trainSeconds() > 0);
        assertTrue(peer.version().startsWith("pytorch "), peer.version());
    }

    @Test
    void spreadIsTheMeanAndTheSampleStandardDeviation() {
        Spread s = Spread.of(0.5, 0.7, 0.6);
        assertEquals(3, s.n());
        assertEquals(0.6, s.mean(), 1e-15);
        assertEquals(0.1, s.sd(), 1e-15);   // sqrt((0.01 + 0.01 + 0) / 2)
        Spread one = Spread.of(0.25);
        assertEquals(0.25, one.mean());
        assertTrue(Double.isNaN(one.sd()));
        assertThrows(IllegalArgumentException.class, Spread::of);
    }

    @Test
    void seedsRunBothSidesOncePerTrainingSeedOnTheSameData(@TempDir Path dir) throws Exception {
        PeerPython.require(PeerPython.canImport("torch, numpy"), "/usr/bin/python3 with torch is needed");
        CompositesExperiment e = new CompositesExperiment(tiny().withSeeds(2026, 11));
        Results rs = e.run(dir, 2, PYTHON, SCRIPT, null);

        assertEquals(2, rs.runs().size());
        assertEquals(11, rs.runs().get(0).config().trainSeed());
        assertEquals(12, rs.runs().get(1).config().trainSeed());
        assertEquals(2026, rs.runs().get(1).config().dataSeed());
        assertNull(rs.peerError());
        double o0 = rs.runs().get(0).ours().meanIoU();
        double o1 = rs.runs().get(1).ours().meanIoU();
        double p0 = rs.runs().get(0).peer().meanIoU();
        double p1 = rs.runs().get(1).peer().meanIoU();
        assertEquals((o0 + o1) / 2, rs.ours().mean(), 1e-12);
        assertEquals(Math.abs(o0 - o1) / Math.sqrt(2), rs.ours().sd(), 1e-12);
        assertEquals((p0 + p1) / 2, rs.peer().mean(), 1e-12);
        assertEquals(Math.abs(p0 - p1) / Math.sqrt(2), rs.peer().sd(), 1e-12);
        // Our first seed is a run of its own: the same weights, order and scores as a single run with seed 11.
        Results single = new CompositesExperiment(tiny().withSeeds(2026, 11)).run(dir.resolve("single"), 1, null,
                null, null);
        assertEquals(o0, single.runs().get(0).ours().meanIoU());
        assertEquals(rs.runs().get(0).ours().finalLoss(), single.runs().get(0).ours().finalLoss());

        JsonNode results = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(12, results.get("runs").get(1).get("train_seed").asLong());
        assertEquals(p1, results.get("runs").get(1).get("sides").get(1).get("mean_iou").asDouble());
        assertEquals(rs.ours().sd(), results.get("summary").get("ours").get("sd_iou").asDouble());
        assertEquals(rs.peer().mean(), results.get("summary").get("pytorch").get("mean_iou").asDouble());
        assertEquals(rs.ours().mean() - rs.peer().mean(),
                results.get("summary").get("mean_iou_difference").asDouble(), 1e-15);
        String md = Files.readString(dir.resolve("results.md"));
        assertTrue(md.contains("| 12 | pytorch |"), md);
        assertTrue(md.contains("| pytorch | 2 |"), md);
    }

    /**
     * PyTorch's seed-5 draws (initial weights and batch order, dumped by the peer) given to both sides with another
     * training seed: the peer repeats its seed-5 run, ours starts from the same weights and batches. Tolerances,
     * for the two sides' different float32 rounding of the same computation: step 1's loss (about 2.3; measured
     * difference 1.2e-7, one ulp) within 1e-6; step 3's loss, after two Adam steps, within 1e-4 (measured 1e-8).
     * Our own seeded start and order instead give 0.034 more at step 1 and 0.13 less at step 3 (the unpaired run).
     */
    @Test
    void pairedRunsStartBothSidesFromTheGivenInitAndOrder(@TempDir Path dir) throws Exception {
        PeerPython.require(PeerPython.canImport("torch, numpy"), "/usr/bin/python3 with torch is needed");
        CompositesExperiment e = new CompositesExperiment(tiny().withSeeds(2026, 5));
        Path data = dir.resolve("data");
        e.writeData(e.trainingSet(), e.validationSet(), data);
        Path init = dir.resolve("init.safetensors");
        Path order = dir.resolve("order.npy");
        SideResult seed5 = e.runPeer(PYTHON, SCRIPT, data, "--dump-init", init.toString(), "--dump-order",
                order.toString());
        assertArrayEquals(new long[] {3, 2}, NpyFiles.read(order).shape());

        Config paired = tiny().withSeeds(2026, 6).withDraws(init, order);
        Results rs = new CompositesExperiment(paired).run(dir.resolve("paired"), 1, PYTHON, SCRIPT, null);
        SideResult ours = rs.runs().get(0).ours();
        SideResult peer = rs.runs().get(0).peer();
        assertEquals(seed5.firstLoss(), peer.firstLoss(), 1e-6, "the peer follows --init and --order, not --seed");
        assertEquals(seed5.finalLoss(), peer.finalLoss(), 1e-6);
        assertEquals(peer.firstLoss(), ours.firstLoss(), 1e-6, "step 1: same weights, same batch");
        assertEquals(peer.finalLoss(), ours.finalLoss(), 1e-4, "step 3: same batches in the same order");

        // Ours depends on the files alone: another seed gives the same run, no files another start.
        SideResult oursSeed9 = new CompositesExperiment(paired.withSeeds(2026, 9)).trainOurs(e.trainingSet(),
                e.validationSet(), null);
        assertEquals(ours.firstLoss(), oursSeed9.firstLoss());
        assertEquals(ours.finalLoss(), oursSeed9.finalLoss());
        assertEquals(ours.meanIoU(), oursSeed9.meanIoU());
        SideResult unpaired = new CompositesExperiment(tiny().withSeeds(2026, 6)).trainOurs(e.trainingSet(),
                e.validationSet(), null);
        assertTrue(Math.abs(unpaired.firstLoss() - peer.firstLoss()) > 1e-2, unpaired.firstLoss() + " vs "
                + peer.firstLoss());

        JsonNode results = new ObjectMapper().readTree(dir.resolve("paired").resolve("results.json").toFile());
        assertEquals(init.toString(), results.get("config").get("init").asText());
        assertEquals(order.toString(), results.get("config").get("order").asText());
        assertEquals(ours.firstLoss(), results.get("runs").get(0).get("sides").get(0).get("first_loss").asDouble());
    }

    @Test
    void aBatchOrderOfAnotherShapeOrOutsideTheTrainingSetIsRefused(@TempDir Path dir) throws Exception {
        Path wrongShape = dir.resolve("wrong-shape.npy");
        NpyFiles.write(Tensor.i32(new int[] {0, 1, 2, 3}, 2, 2), wrongShape);
        CompositesExperiment shape = new CompositesExperiment(tiny().withDraws(null, wrongShape));
        var ex = assertThrows(IllegalArgumentException.class, () -> shape.trainOurs(shape.trainingSet(),
                shape.validationSet(), null));
        assertTrue(ex.getMessage().contains("[3, 2]"), ex.getMessage());
        Path outside = dir.resolve("outside.npy");
        NpyFiles.write(Tensor.i32(new int[] {0, 1, 2, 3, 4, 6}, 3, 2), outside);
        CompositesExperiment e = new CompositesExperiment(tiny().withDraws(null, outside));
        ex = assertThrows(IllegalArgumentException.class, () -> e.trainOurs(e.trainingSet(), e.validationSet(),
                null));
        assertTrue(ex.getMessage().contains("step 3 has index 6"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tiny().withOptimizer(3e-3, true, true)
                .withDraws(null, outside));
    }

    @Test
    void aFailingPeerIsNamed(@TempDir Path dir) throws Exception {
        CompositesExperiment e = new CompositesExperiment(tiny());
        Path script = Files.writeString(dir.resolve("fail.py"), "import sys\nsys.exit(3)\n");
        PeerPython.require(Files.isExecutable(PYTHON), "/usr/bin/python3 is needed");
        var ex = assertThrows(java.io.IOException.class, () -> e.runPeer(PYTHON, script, dir));
        assertTrue(ex.getMessage().contains("exited with 3"), ex.getMessage());
    }

    @Test
    void configRejectsASizeThatIsNoMultipleOfTheDepth() {
        assertThrows(IllegalArgumentException.class, () -> Config.defaults().withModel(100, 4, 16));
        assertThrows(IllegalArgumentException.class, () -> Config.defaults().withBudget(4, 1, 10, 8));
    }

    @Test
    void helpExitsZero() {
        StringWriter out = new StringWriter();
        int code = SegCli.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "experiment",
                "composites", "--help");
        assertEquals(0, code);
        assertTrue(out.toString().contains("Usage: seg experiment composites"), out.toString());
        StringWriter parent = new StringWriter();
        assertEquals(0, SegCli.run(new PrintWriter(parent, true), new PrintWriter(new StringWriter(), true),
                "experiment", "--help"));
        assertTrue(parent.toString().contains("composites"), parent.toString());
    }

}
