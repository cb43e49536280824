package org.segmentation.bench.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.segmentation.bench.nn.TrainingMemory;

/**
 * The memory soaks' child processes: a JVM started with a given class path and options, whose resident set size
 * ({@code VmRSS} of {@code /proc/<pid>/status}, Linux only) the parent reads while the child runs. Measuring from
 * outside keeps the measurement out of the measured heap, and lets the child be the tool exactly as a user runs it.
 */
final class ChildRss {
    private ChildRss() {
    }

    /**
     * {@code java [javaOptions] -cp classPath mainClass args}, with the JVM running this one.
     *
     * @param javaOptions JVM options separated by spaces (none if blank)
     */
    static List<String> javaCommand(String classPath, String javaOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.awt.headless=true");
        if (!javaOptions.isBlank()) {
            cmd.addAll(List.of(javaOptions.strip().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", classPath, mainClass));
        cmd.addAll(args);
        return cmd;
    }

    /** The child's VmRSS in kB now, or -1 once it has exited. */
    static long rssKb(Process p) throws IOException {
        try {
            return TrainingMemory.statusKb(Files.readString(Path.of("/proc", Long.toString(p.pid()), "status")),
                    "VmRSS");
        } catch (NoSuchFileException | IllegalArgumentException e) {
            return -1;      // exited (a zombie's status has no VmRSS)
        }
    }
}
