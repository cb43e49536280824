package org.segmentation.bench.experiment;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.segmentation.bench.cli.SegCli;
import org.segmentation.core.io.AtomicFiles;
import org.segmentation.core.io.Tensor;
import org.segmentation.nn.io.Checkpoint;
import org.segmentation.nn.io.ModelFiles;
import org.segmentation.nn.io.SavedModel;

/**
 * Crash-safe training, measured: {@code seg train} runs as a child process that is killed with SIGKILL at
 * {@code kills} random moments and resumed from {@code OUT/last} after each, then resumed once more to the end.
 *
 * <p>Checked after every kill: once a checkpoint has been saved, one loads ({@code OUT/last}, or the complete
 * hidden copy a kill between two renames leaves), never a half-written one, and its step never goes back. Checked
 * for every resume: it starts (it is killed, or finishes, rather than failing). At the end the model loads and its
 * weights are compared with those of the same training run uninterrupted, which they should equal bit for bit (the
 * training is deterministic with {@code --threads 0}).
 *
 * <p>Kill moments: uniform between the child's start-up time and start-up plus 1.5 times the training time over
 * {@code kills}, both measured on uninterrupted runs first, so that most kills land during training and saves.
 */
public final class KillResumeExperiment {
    /** The training: 18 images of 32x32 in batches of 2, 9 steps and two saves (last, best) per epoch. */
    static final String[] TRAIN = {"train", "--synthetic", "cells", "--count", "24", "--size", "32", "--depth", "2",
        "--base-filters", "4", "--batch-size", "2", "--val-fraction", "0.25", "--seed", "3", "--threads", "0",
        "--json"};

    /** One kill: when, the checkpoint step before and after, and whether it interrupted a save. */
    public record Kill(int index, boolean resumed, long delayMillis, long stepBefore, long stepAfter,
            boolean duringSave, String problem) {
    }

    /** The outcome: every kill, the final resume's exit code and whether the final weights equal the reference. */
    public record Result(List<Kill> kills, int finalExitCode, boolean finalLoads, boolean bitIdentical,
            long referenceMillis, long startupMillis) {
        /** Kills after which something was wrong. */
        public long failures() {
            return kills.stream().filter(k -> k.problem() != null).count();
        }

        /** True when every kill and resume went right and the final model is the reference's. */
        public boolean passed() {
            return failures() == 0 && finalExitCode == 0 && finalLoads && bitIdentical;
        }
    }

    private KillResumeExperiment() {
    }

    /**
     * Runs the experiment in {@code out} (created; its {@code reference/} and {@code killed/} are replaced).
     *
     * @param kills SIGKILLs before the final resume, at least 1
     * @param epochs epochs of the training, at least 1
     * @param seed seed of the kill moments
     * @param log progress, one line per run
     */
    public static Result run(Path out, int kills, int epochs, long seed, PrintWriter log)
            throws IOException, InterruptedException {
        if (kills < 1 || epochs < 1) {
            throw new IllegalArgumentException("kills and epochs must be >= 1, got " + kills + " and " + epochs);
        }
        Files.createDirectories(out);
        Path reference = out.resolve("reference");
        Path killed = out.resolve("killed");
        deleteTree(reference);
        deleteTree(killed);
        deleteTree(out.resolve("startup"));

        long t0 = System.nanoTime();
        requireSuccess(start(train(out.resolve("startup"), 1, null, "--steps", "1")), "start-up run");
        long startup = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        requireSuccess(start(train(reference, epochs, null)), "reference run");
        long referenceMillis = (System.nanoTime() - t0) / 1_000_000;
        long work = Math.max(1, referenceMillis - startup);
        log.printf(Locale.ROOT, "start-up %d ms, uninterrupted training %d ms%n", startup, referenceMillis);

        Random rnd = new Random(seed);
        List<Kill> done = new ArrayList<>();
        Path last = killed.resolve("last");
        for (int i = 1; i <= kills; i++) {
            long before = checkpointStep(last);
            boolean resumed = before >= 0;
            long delay = startup * 4 / 5 + (long) (rnd.nextDouble() * (startup / 5 + 1.5 * work / kills));
            List<String> debrisBefore = debris(killed);
            Process p = start(train(killed, epochs, resumed ? last : null));
            boolean exited = p.waitFor(delay, TimeUnit.MILLISECONDS);
            String problem = null;
            if (exited) {
                problem = p.exitValue() == 0 ? null : "the run exited with " + p.exitValue() + " before the kill: "
                        + lastLine(p);
                if (p.exitValue() == 0) {
                    log.printf(Locale.ROOT, "run %d finished before its kill at %d ms; stopping early%n", i, delay);
                    break;
                }
            } else {
                p.destroyForcibly();    // SIGKILL on Linux
                p.waitFor();
            }
            boolean duringSave = !debrisBefore.containsAll(debris(killed));
            long after = -1;
            try {
                after = checkpointStep(last);
                if (before >= 0 && after < 0) {
                    problem = "no loadable checkpoint after a kill, although one was saved before";
                } else if (after < before) {
                    problem = "the checkpoint went back from step " + before + " to " + after;
                }
            } catch (IOException e) {
                problem = "the checkpoint does not load after the kill: " + e.getMessage();
            }
            Kill k = new Kill(i, resumed, delay, before, after, duringSave, problem);
            done.add(k);
            log.printf(Locale.ROOT, "kill %2d after %5d ms: %s step %d -> %d%s%s%n", i, delay,
                    resumed ? "resumed," : "fresh,  ", before, after, duringSave ? ", during a save" : "",
                    problem == null ? "" : ", PROBLEM: " + problem);
        }
        Process last2 = start(train(killed, epochs, checkpointStep(last) >= 0 ? last : null));
        last2.waitFor();
        int finalExit = last2.exitValue();
        boolean loads = false;
        boolean identical = false;
        try {
            SavedModel got = ModelFiles.loadModel(killed.resolve("model"));
            SavedModel want = ModelFiles.loadModel(reference.resolve("model"));
            loads = true;
            identical = sameWeights(got, want);
        } catch (IOException e) {
            log.println("final model does not load: " + e.getMessage());
        }
        log.printf(Locale.ROOT, "final resume exit %d, model loads %s, bit-identical to the reference %s%n",
                finalExit, loads, identical);
        return new Result(List.copyOf(done), finalExit, loads, identical, referenceMillis, startup);
    }

    /** The step of the checkpoint a resume would read, or -1 when there is none yet. */
    static long checkpointStep(Path last) throws IOException {
        Path dir = AtomicFiles.existingDirectory(last);
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        Checkpoint cp = ModelFiles.loadCheckpoint(dir);
        return cp.state().step();
    }

    /** The hidden directories of interrupted saves in a run folder: a new one after a kill means it hit a save. */
    private static List<String> debris(Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(runDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\.(last|best|model)\\..*"))
                    .toList();
        }
    }

    private static boolean sameWeights(SavedModel a, SavedModel b) {
        if (!a.weights().tensors().keySet().equals(b.weights().tensors().keySet())) {
            return false;
        }
        for (String name : a.weights().tensors().keySet()) {
            Tensor x = a.weights().get(name);
            Tensor y = b.weights().get(name);
            if (x.dtype() != y.dtype() || !Arrays.equals(x.shape(), y.shape())) {
                return false;
            }
            // Arrays.equals on floats and doubles compares the bits (NaN aside, which a loaded model cannot hold)
            boolean same = x.dtype() == org.segmentation.core.io.DType.F64 ? Arrays.equals(x.doubles(), y.doubles())
                    : Arrays.equals(x.floats(), y.floats());
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static List<String> train(Path out, int epochs, Path resume, String... extra) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx512m", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                SegCli.class.getName()));
        cmd.addAll(Arrays.asList(TRAIN));
        cmd.addAll(List.of("--epochs", Integer.toString(epochs), "--out", out.toString()));
        if (resume != null) {
            cmd.addAll(List.of("--resume", resume.toString()));
        }
        cmd.addAll(Arrays.asList(extra));
        return cmd;
    }

    private static Process start(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        File err = File.createTempFile("kill-resume", ".err");
        err.deleteOnExit();
        pb.redirectError(err);
        Process p = pb.start();
        ERR_FILES.put(p, err.toPath());
        return p;
    }

    private static final java.util.Map<Process, Path> ERR_FILES = new java.util.concurrent.ConcurrentHashMap<>();

    private static String lastLine(Process p) {
        try {
            List<String> lines = Files.readAllLines(ERR_FILES.get(p));
            return lines.isEmpty() ? "(no message)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(no message: " + e.getMessage() + ")";
        }
    }

    private static void requireSuccess(Process p, String what) throws InterruptedException, IOException {
        if (p.waitFor() != 0) {
            throw new IOException(what + " failed with exit code " + p.exitValue() + ": " + lastLine(p));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
