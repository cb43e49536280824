package org.segmentation.bench.experiment;

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
}
