package org.segmentation.bench.experiment;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The options of an experiment with a Python peer ({@code --python}, {@code --peers}, {@code --no-peer},
 * {@code --no-progress}), as a picocli mixin, and how a peer script is found and run.
 */
public final class PeerOptions {
    @Option(names = "--python", defaultValue = "/usr/bin/python3", paramLabel = "EXE",
            description = "Python with PyTorch (and torchvision) for the peer (default: ${DEFAULT-VALUE}).")
    Path python;

    @Option(names = "--peers", paramLabel = "DIR", description = "Folder of the peer script (default:"
            + " segmentation-bench/peers or peers under the working folder).")
    Path peers;

    @Option(names = "--no-peer", description = "Skip the PyTorch side.")
    boolean noPeer;

    @Option(names = "--no-progress", description = "No progress bar on stderr.")
    boolean noProgress;

    /** The interpreter, or null with {@code --no-peer}. */
    Path python() {
        return noPeer ? null : python;
    }

    /**
     * The peer script {@code name}, or null with {@code --no-peer}: {@code --peers/name} when given, else the first
     * of {@code segmentation-bench/peers/name} and {@code peers/name} under the working folder.
     *
     * @throws FileNotFoundException if the interpreter is not executable or the script is in none of the folders
     */
    Path script(String name) throws FileNotFoundException {
        if (noPeer) {
            return null;
        }
        if (!Files.isExecutable(python)) {
            throw new FileNotFoundException("peer Python " + python + " does not exist or is not executable;"
                    + " give --python or --no-peer");
        }
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

    /**
     * Runs a peer command with its stderr on this process's and returns the last non-blank line of its stdout,
     * where the peers print their result.
     *
     * @param side names the peer in errors
     * @param environment added to the peer's environment
     * @throws IOException if it cannot be started, exits with another status than 0, or prints nothing
     */
    static String lastLine(List<String> cmd, String side, Map<String, String> environment)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(environment);
        Process p = pb.start();
        String last = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) {
                    last = line;
                }
            }
        }
        if (!p.waitFor(1, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(side + " side did not exit after closing its output: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0 || last == null) {
            throw new IOException(side + " side exited with " + p.exitValue() + " (its stderr is above): "
                    + String.join(" ", cmd));
        }
        return last;
    }
}
