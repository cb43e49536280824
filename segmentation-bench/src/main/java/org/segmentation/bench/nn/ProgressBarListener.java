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
 */
public final class ProgressBarListener implements TrainingListener, AutoCloseable {
    private final PrintStream out;
    private final String task;
    private ProgressBar bar;
    private volatile double etaSeconds = Double.NaN;
    private String validation = "";

    /** @param out where the bar is drawn, normally {@code System.err} */
    public ProgressBarListener(PrintStream out, String task) {
        this.out = out;
        this.task = task;
    }

    @Override
    public void onStepEnd(StepEnd e) {
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
        validation = String.format(Locale.ROOT, " mIoU %.3f", r.meanIoU());
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
