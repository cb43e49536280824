package org.segmentation.bench.cli;

import java.io.PrintWriter;
import org.segmentation.bench.experiment.ExperimentCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The command-line tool. Exit codes: 0 success, 2 usage error (picocli's default: an option out of range, a
 * missing argument), 1 failure (a file that cannot be read or written, a computation that fails); either way
 * one line on stderr names the cause, and a stack trace is printed only with {@code --verbose}.
 */
@Command(
        name = "seg",
        mixinStandardHelpOptions = true,
        version = "segmentation 0.1.0-SNAPSHOT",
        description = "Image segmentation: classic algorithms, U-Net training and inference, evaluation, benchmarks.",
        subcommands = {DemoCommand.class, EvaluateCommand.class, SegmentCommand.class, TrainCommand.class,
            PredictCommand.class, BenchCommand.class, ExperimentCommand.class, SparkCommand.class,
            CommandLine.HelpCommand.class})
public final class SegCli {
    /** Exit code of a failure that is not a usage error. */
    public static final int EXIT_FAILURE = 1;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces on failure.")
    boolean verbose;

    /** Entry point; exits the JVM with the command's exit code. */
    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the tool with the given output streams and returns the exit code, without exiting the JVM. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        SegCli root = new SegCli();
        CommandLine cli = new CommandLine(root);
        cli.setOut(out);
        cli.setErr(err);
        // One line, like every other failure; the full usage would bury the message under a page of options.
        cli.setParameterExceptionHandler((ex, arguments) -> {
            CommandLine failed = ex.getCommandLine();
            failed.getErr().println("error: " + oneLine(ex) + " (see '"
                    + failed.getCommandSpec().qualifiedName() + " --help')");
            failed.getErr().flush();
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.matchedOptionValue("--verbose", false)
                    || parseResult.subcommands().stream()
                            .anyMatch(p -> p.matchedOptionValue("--verbose", false));
            if (verbose) {
                ex.printStackTrace(err);
            } else {
                err.println("error: " + oneLine(ex));
            }
            err.flush();
            return EXIT_FAILURE;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Thrown past picocli's handlers; the heap is likely free again now that the command's data is gone.
            err.println("error: not enough memory (Java heap) for this input; raise the JVM's -Xmx or lower"
                    + " --max-pixels");
            err.flush();
            return EXIT_FAILURE;
        }
    }

    /** The exception's message on one line, prefixed by its type when the message alone would say too little. */
    static String oneLine(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        return msg.replace('\n', ' ').replace('\r', ' ');
    }
}
