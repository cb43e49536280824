package org.segmentation.bench.nn;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.segmentation.nn.train.TrainingListener;
import org.segmentation.nn.train.ValidationResult;

/**
 * A terminal progress bar ({@code me.tongfei:progressbar}) over the optimizer steps of a training run, showing
 * the step's loss, the learning rate, the steps per second and the trainer's ETA, and the last validation's
 * mean IoU. The bar is created at the first step, so a resumed run starts at its step; {@link #close} ends it.
 *
 * <p>When the output is not a terminal (a log file, a CI console), a bar's carriage-return redraws would become
 * thousands of lines; there the same figures are printed as one plain line at the first step, then every
 * {@link #LOG_EVERY_SECONDS} seconds of training and at the last step. {@link #stderr} picks the mode.
 */
public final class ProgressBarListener implements TrainingListener, AutoCloseable {
    /** Seconds of training between two lines when the output is not a terminal. */
    public static final int LOG_EVERY_SECONDS = 10;

    private final PrintStream out;
    private final String task;
    private final boolean terminal;
    private ProgressBar bar;
    private long nextLineNanos;
    private volatile double etaSeconds = Double.NaN;
    private String validation = "";

    /**
     * @param out where the progress goes, normally {@code System.err}
     * @param terminal a redrawn bar when true, plain lines every {@link #LOG_EVERY_SECONDS} seconds when false
     */
    public ProgressBarListener(PrintStream out, String task, boolean terminal) {
        this.out = out;
        this.task = task;
        this.terminal = terminal;
    }

    /**
     * Progress on {@code System.err}: a bar when the process has a terminal ({@link System#console()}: Java 17
     * cannot ask about stderr alone, and a redirected stdout or stdin counts as no terminal), plain lines
     * otherwise.
     */
    public static ProgressBarListener stderr(String task) {
        return new ProgressBarListener(System.err, task, System.console() != null);
    }

    @Override
    public void onStepEnd(StepEnd e) {
        if (!terminal) {
            if (e.elapsedNanos() >= nextLineNanos || e.step() >= e.totalSteps()) {
                out.println(String.format(Locale.ROOT, "%s: step %d/%d (%.0f%%) loss %.4f%s lr %.0e %.2f it/s ETA %s",
                        task, e.step(), e.totalSteps(), 100.0 * e.step() / e.totalSteps(), e.loss(), validation,
                        e.learningRate(), e.stepsPerSecond(), eta(e.etaSeconds())));
                nextLineNanos = e.elapsedNanos() + LOG_EVERY_SECONDS * 1_000_000_000L;
            }
            return;
        }
        if (bar == null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(e.totalSteps())
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(out))
                    .startsFrom(e.step() - 1, Duration.ZERO)
                    .setEtaFunction(s -> Double.isFinite(etaSeconds)
                            ? Optional.of(Duration.ofMillis(Math.round(etaSeconds * 1000))) : Optional.empty())
                    .build();
        }
        etaSeconds = e.etaSeconds();
        bar.stepTo(e.step());
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f%s lr %.0e %.2fit/s", e.loss(), validation,
                e.learningRate(), e.stepsPerSecond()));
    }

    @Override
    public void onValidation(ValidationResult r) {
        validation = Double.isNaN(r.maskAp()) ? String.format(Locale.ROOT, " mIoU %.3f", r.meanIoU())
                : String.format(Locale.ROOT, " AP %.3f", r.maskAp());
    }

    private static String eta(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
