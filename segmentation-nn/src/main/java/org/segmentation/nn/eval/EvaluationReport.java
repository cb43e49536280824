package org.segmentation.nn.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.segmentation.core.label.IgnoreLabel;

/**
 * The result of an {@link Evaluator} run: what was evaluated and one {@link AlgorithmResult} per segmenter, in
 * the order given. {@link ReportJson} and {@link ReportMarkdown} write it; {@link #write(Path)} writes both.
 *
 * @param dataset a description of the data (folder, or generator with count and seed)
 * @param numClasses the dataset's class count, background included
 * @param ignoreLabel the dataset's ignore label, or {@link IgnoreLabel#NONE}
 * @param config the settings used
 * @param algorithms one result per segmenter; never empty, every one over the same images
 */
public record EvaluationReport(String dataset, int numClasses, IgnoreLabel ignoreLabel, EvaluationConfig config,
        List<AlgorithmResult> algorithms) {
    /** File name of the JSON report written by {@link #write}. */
    public static final String JSON_FILE = "evaluation.json";
    /** File name of the Markdown report. */
    public static final String MARKDOWN_FILE = "evaluation.md";

    /** @throws IllegalArgumentException if there is no algorithm */
    public EvaluationReport {
        algorithms = List.copyOf(algorithms);
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("an evaluation report needs at least one algorithm");
        }
    }

    /** Number of images evaluated. */
    public int imageCount() {
        return algorithms.get(0).images().size();
    }

    /** Whether every image has the same width and height. */
    public boolean sameSize() {
        List<ImageResult> images = algorithms.get(0).images();
        return images.stream().allMatch(r -> r.width() == images.get(0).width()
                && r.height() == images.get(0).height());
    }

    /** The images' width when {@link #sameSize()}, else the largest width. */
    public int width() {
        return algorithms.get(0).images().stream().mapToInt(ImageResult::width).max().orElse(0);
    }

    /** The images' height when {@link #sameSize()}, else the largest height. */
    public int height() {
        return algorithms.get(0).images().stream().mapToInt(ImageResult::height).max().orElse(0);
    }

    /**
     * Writes {@link #JSON_FILE} and {@link #MARKDOWN_FILE} into {@code dir}, creating it if
     * needed, and returns their paths.
     *
     * @throws IOException naming the file or folder that cannot be written
     */
    public List<Path> write(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create output folder " + dir + ": " + e, e);
        }
        Path json = dir.resolve(JSON_FILE);
        Path md = dir.resolve(MARKDOWN_FILE);
        ReportJson.write(this, json);
        ReportMarkdown.write(this, md);
        return List.of(json, md);
    }
}
