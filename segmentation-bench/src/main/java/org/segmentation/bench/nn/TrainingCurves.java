package org.segmentation.bench.nn;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.segmentation.nn.train.TrainingHistory;
import org.segmentation.nn.train.ValidationResult;

/**
 * Training curves of a {@link TrainingHistory} as a PNG, drawn off screen with XChart: on the left the loss per
 * step (raw, faint) with its exponential moving average, on the right the validation mean IoU, mean Dice and
 * pixel accuracy (for a Mask R-CNN, its COCO mask AP@[.5:.95] and AP50) against the step at which they were
 * measured.
 */
public final class TrainingCurves {
    /** The file name beside the history. */
    public static final String FILE = "curves.png";
    static final int PANEL_WIDTH = 640;
    static final int HEIGHT = 440;
    /** Weight of the newest loss in the moving average (TensorBoard's smoothing 0.9 is 0.1 here). */
    static final double SMOOTHING = 0.1;

    private static final Color RAW = new Color(0x0072B2, false);
    private static final Color[] METRIC_COLORS = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73)};

    private TrainingCurves() {
    }

    /**
     * Exponential moving average with weight {@code a} on the newest value, debiased as in Adam and TensorBoard:
     * {@code m[i] = (1 - a) m[i-1] + a x[i]}, {@code m[-1] = 0}, {@code s[i] = m[i] / (1 - (1 - a)^n)} with n the
     * finite values so far, so the first value is kept and short runs do not lag behind. Non-finite values are
     * skipped (they keep the previous average).
     */
    public static double[] smooth(double[] x, double a) {
        double[] s = new double[x.length];
        double m = 0;
        double decay = 1;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i])) {
                m = (1 - a) * m + a * x[i];
                decay *= 1 - a;
            }
            s[i] = decay == 1 ? Double.NaN : m / (1 - decay);
        }
        return s;
    }

    /** Both panels side by side. */
    public static BufferedImage render(TrainingHistory history) {
        BufferedImage loss = BitmapEncoder.getBufferedImage(lossChart(history));
        BufferedImage metrics = BitmapEncoder.getBufferedImage(metricChart(history));
        BufferedImage out = new BufferedImage(2 * PANEL_WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(loss, 0, 0, null);
            g.drawImage(metrics, PANEL_WIDTH, 0, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Renders and writes {@code file} (PNG). */
    public static void write(TrainingHistory history, Path file) throws IOException {
        try {
            if (!ImageIO.write(render(history), "png", file.toFile())) {
                throw new IOException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static XYChart lossChart(TrainingHistory h) {
        XYChart c = base("Training loss per step");
        c.setYAxisTitle("loss");
        c.getStyler().setXAxisMin(0.0);
        long[] steps = h.steps();
        double[] x = new double[steps.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = steps[i];
        }
        double[] raw = h.losses();
        if (x.length == 0) {
            x = new double[] {0};
            raw = new double[] {0};
        }
        XYSeries r = c.addSeries("loss", x, raw);
        r.setMarker(SeriesMarkers.NONE).setLineColor(new Color(RAW.getRed(), RAW.getGreen(), RAW.getBlue(), 70))
                .setLineWidth(1f);
        XYSeries s = c.addSeries(String.format(java.util.Locale.ROOT, "moving average (%.2f)", SMOOTHING), x,
                smooth(raw, SMOOTHING));
        s.setMarker(SeriesMarkers.NONE).setLineColor(RAW).setLineWidth(2.5f);
        unevenAxisValues(c, 0.5, raw[0]);
        return c;
    }

    private static XYChart metricChart(TrainingHistory h) {
        XYChart c = base("Validation");
        c.setYAxisTitle("score");
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        List<ValidationResult> vs = h.validations();
        int n = Math.max(vs.size(), 1);
        double[] x = new double[n];
        double[][] y = new double[3][n];
        // an instance model (Mask R-CNN) is validated by COCO mask AP, a per-pixel one by IoU, Dice and accuracy
        boolean ap = !vs.isEmpty() && !Double.isNaN(vs.get(0).maskAp());
        for (int i = 0; i < vs.size(); i++) {
            ValidationResult v = vs.get(i);
            x[i] = v.step();
            y[0][i] = ap ? v.maskAp() : v.meanIoU();
            y[1][i] = ap ? v.maskAp50() : v.meanDice();
            y[2][i] = ap ? Double.NaN : v.pixelAccuracy();
        }
        if (vs.isEmpty()) {
            y[0][0] = y[1][0] = y[2][0] = Double.NaN;
        }
        String[] names = ap ? new String[] {"mask AP@[.5:.95]", "mask AP50"}
                : new String[] {"mean IoU", "mean Dice", "pixel accuracy"};
        for (int k = 0; k < names.length; k++) {
            XYSeries s = c.addSeries(names[k], x, y[k]);
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(METRIC_COLORS[k]).setLineColor(METRIC_COLORS[k])
                    .setLineStyle(new BasicStroke(2f));
        }
        if (vs.size() > 1) {
            unevenAxisValues(c, x[0] + 0.5, y[0][0]);
        }
        return c;
    }

    /**
     * Adds an invisible point at a step off the grid, e.g. 0.5. XChart ticks evenly spaced x data (one loss per step) at a multiple of
     * the spacing that ignores the tick spacing hint, and the labels ran into each other (knowm/XChart#731); with
     * one value off the grid it picks round steps (0, 50, 100, ...) as it does for any other data.
     */
    private static void unevenAxisValues(XYChart c, double x, double y) {
        XYSeries anchor = c.addSeries("axis anchor", new double[] {x}, new double[] {y});
        anchor.setMarker(SeriesMarkers.NONE).setLineColor(new Color(0, 0, 0, 0)).setShowInLegend(false);
    }

    private static XYChart base(String title) {
        XYChart c = new XYChartBuilder().width(PANEL_WIDTH).height(HEIGHT).title(title).xAxisTitle("step").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE)
                .setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
                .setPlotBorderVisible(false).setAntiAlias(true)
                .setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16))
                .setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12))
                .setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13))
                .setPlotGridLinesColor(new Color(0xDDDDDD)).setXAxisDecimalPattern("#,##0")
                .setYAxisDecimalPattern("0.00");
        return c;
    }
}
