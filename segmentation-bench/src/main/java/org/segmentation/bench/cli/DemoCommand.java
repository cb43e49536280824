package org.segmentation.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.segmentation.bench.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code seg demo}: the one-command tour of the library, writing its results to a folder. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Segment bundled real images with every algorithm and write overlays, metrics and an"
                + " index.html to the output folder.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, defaultValue = "out", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        new Demo(out).run();
        return 0;
    }
}
