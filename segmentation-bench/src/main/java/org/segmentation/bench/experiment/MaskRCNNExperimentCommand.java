package org.segmentation.bench.experiment;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.segmentation.bench.experiment.MaskRCNNExperiment.Config;
import org.segmentation.bench.experiment.MaskRCNNExperiment.Data;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code seg experiment maskrcnn}: {@link MaskRCNNExperiment} from the command line. Prints the table of
 * {@code results.md}; exits 1 when the torchvision side fails (after writing the other sides' results).
 */
@Command(name = "maskrcnn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Our Mask R-CNN beside torchvision 0.14's, both from scratch with the same configuration,"
                + " data (written as COCO to --out/data), optimizer, schedule, batch, steps and augmentation, and"
                + " the U-Net + watershed pipeline. Every side's detections on the validation images"
                + " are scored by our COCO evaluator: mask AP@[.5:.95], AP50, AP75.",
            "Writes results.json and results.md into --out, and each side's model and COCO results into"
                    + " --out/ours, --out/torchvision, --out/unet."})
public final class MaskRCNNExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", defaultValue = "cells", paramLabel = "KIND",
            description = "cells (one class) or composites (ten item classes) (default: ${DEFAULT-VALUE}).")
    Data data;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Output folder (default: out/experiment-maskrcnn-DATA).")
    Path out;

    @Option(names = "--count", paramLabel = "N", description = "Training images (default: 64).")
    Integer count;

    @Option(names = "--val", paramLabel = "N", description = "Validation images (default: 32).")
    Integer val;

    @Option(names = "--size", paramLabel = "PX", description = "Image width and height (default: 64).")
    Integer size;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps of each Mask R-CNN (default: 400).")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", description = "Images per step (default: 2).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "SGD's rate after the warm-up (default: 0.01).")
    Double lr;

    @Option(names = "--augment", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Random flips on both sides (default: on).")
    boolean augment;

    @Option(names = "--unet-steps", paramLabel = "N", description = "Steps of the U-Net, 0 to skip it"
            + " (default: 900).")
    Integer unetSteps;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the data (validation: S + 1) and of each"
            + " side's training (default: 1).")
    Long seed;

    @Mixin
    PeerOptions peer;

    @Override
    public Integer call() throws Exception {
        Config d = Config.defaults(data);
        Config c;
        try {
            c = new Config(data, or(count, d.trainImages()), or(val, d.valImages()), or(size, d.size()),
                    or(steps, d.steps()), or(batch, d.batchSize()), lr == null ? d.learningRate() : lr, augment,
                    or(unetSteps, d.unetSteps()), seed == null ? d.seed() : seed, d.threads());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (out == null) {
            out = Path.of("out", "experiment-maskrcnn-" + data);
        }
        Path script = peer.script(MaskRCNNExperiment.PEER_SCRIPT);
        MaskRCNNExperiment.Result r = new MaskRCNNExperiment(c).run(out, peer.python(), script,
                peer.noProgress ? null : System.err);
        PrintWriter pw = spec.commandLine().getOut();
        pw.print(MaskRCNNExperiment.markdown(r));
        pw.println("written: " + out.resolve(MaskRCNNExperiment.JSON_FILE) + ", "
                + out.resolve(MaskRCNNExperiment.MARKDOWN_FILE));
        pw.flush();
        if (r.peerError() != null) {
            throw new IOException(r.peerError());
        }
        return 0;
    }

    private static int or(Integer v, int fallback) {
        return v == null ? fallback : v;
    }
}
