package org.segmentation.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.segmentation.bench.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code seg demo}: the one-command tour of the library, writing its results to a folder. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Segment bundled real images with every algorithm, train a small U-Net on synthetic cells"
                + " (--train-steps) and score it beside the classic pipeline, and write overlays, metrics and an"
                + " index.html to the output folder.")
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--train-steps", defaultValue = "" + Demo.DEFAULT_TRAIN_STEPS, paramLabel = "N",
            description = "Optimizer steps of the U-Net trained on synthetic cells, about 2-3 minutes on two free"
                    + " cores at the default; 0 skips the U-Net (default: ${DEFAULT-VALUE}).")
    int trainSteps;

    @Override
    public Integer call() throws Exception {
        if (trainSteps < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--train-steps must be >= 0, got "
                    + trainSteps);
        }
        new Demo(out, trainSteps, true).run();
        return 0;
    }
}
