package org.segmentation.bench.experiment;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code seg experiment}: the parent of the reproducible experiments behind the project's claims; each is a
 * subcommand that writes its data, results and a Markdown table into its {@code --out}.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "reproducible experiments behind the project's claims",
        subcommands = {CellsExperimentCommand.class, CompositesExperimentCommand.class,
            MaskRCNNExperimentCommand.class, KillResumeCommand.class, PredictMemoryCommand.class,
            TrainMemoryCommand.class, CommandLine.HelpCommand.class})
public final class ExperimentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Without a subcommand: usage error listing the experiments. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "give an experiment: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /**
     * A peer script: {@code peers/name} when {@code peers} is given, else the first of
     * {@code segmentation-bench/peers/name} and {@code peers/name} under the working folder.
     *
     * @throws FileNotFoundException naming the folders searched
     */
    static Path peerScript(Path peers, String name) throws FileNotFoundException {
        List<Path> dirs = peers != null ? List.of(peers)
                : List.of(Path.of("segmentation-bench", "peers"), Path.of("peers"));
        for (Path dir : dirs) {
            Path s = dir.resolve(name);
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new FileNotFoundException("no " + name + " in " + dirs + " under " + Path.of("").toAbsolutePath()
                + "; give --peers DIR or --no-peer");
    }
}
