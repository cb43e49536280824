package org.segmentation.bench.experiment;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code seg experiment kill-resume}: runs {@link KillResumeExperiment} and prints one line per kill. */
@Command(name = "kill-resume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Crash-safe training: kills 'seg train' with SIGKILL at random moments, resumes it from"
                + " OUT/last after each kill, and checks that a checkpoint always loads, that no resume fails, and"
                + " that the final model equals an uninterrupted run's bit for bit.",
            "Exit code 0 when everything held, 1 otherwise."})
public final class KillResumeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--out"}, defaultValue = "out/experiment-kill-resume", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--kills", defaultValue = "20", paramLabel = "N", description = "Kills (default: ${DEFAULT-VALUE}).")
    int kills;

    @Option(names = "--epochs", defaultValue = "40", paramLabel = "E",
            description = "Epochs of 9 steps, each ending in a save (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
            description = "Seed of the kill moments (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (kills < 1 || kills > 1000 || epochs < 1 || epochs > 10000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kills must be in 1..1000 and --epochs in"
                    + " 1..10000, got " + kills + " and " + epochs);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        KillResumeExperiment.Result r = KillResumeExperiment.run(out, kills, epochs, seed, stdout);
        long duringSave = r.kills().stream().filter(KillResumeExperiment.Kill::duringSave).count();
        long resumed = r.kills().stream().filter(KillResumeExperiment.Kill::resumed).count();
        stdout.printf(Locale.ROOT, "%d kills (%d of them during a save), %d resumes, %d problems; final run exit %d,"
                + " model loads: %s, bit-identical to the uninterrupted run: %s%n", r.kills().size(), duringSave,
                resumed, r.failures(), r.finalExitCode(), r.finalLoads(), r.bitIdentical());
        return r.passed() ? 0 : 1;
    }
}
