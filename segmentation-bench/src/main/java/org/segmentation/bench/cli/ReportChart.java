package org.segmentation.bench.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import org.segmentation.nn.eval.AlgorithmResult;
import org.segmentation.nn.eval.EvaluationReport;
import org.segmentation.nn.eval.Metric;
import org.segmentation.nn.eval.ReportMarkdown;

/**
 * An {@link EvaluationReport} as a grouped bar chart (XChart, drawn off screen, so it works with
 * {@code java.awt.headless=true}): one group per score in [0, 1] that is higher-is-better, one bar per
 * algorithm, the mean time per image in the legend. The error measures (adapted Rand error, VoI) are left out:
 * they point the other way and VoI is not bounded by 1. A score that is undefined or does not apply to an
 * algorithm has no bar.
 */
public final class ReportChart {
    /** File name of the chart that {@code seg evaluate} writes beside the report. */
    static final String FILE = "evaluation.png";
    /** Chart width in pixels. */
    static final int WIDTH = 1000;
    /** Chart height in pixels with a one-line legend. */
    static final int HEIGHT = 560;
    /** Height added per algorithm when the legend needs one line each. */
    private static final int LEGEND_LINE = 24;
    /** Legend space per entry besides its text: colour box and gaps (XChart draws about 40 px). */
    private static final int LEGEND_ENTRY_EXTRA = 48;
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font LEGEND_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);

    /** Colour-blind-safe qualitative colours (Okabe and Ito, 2008), cycled for more algorithms. */
    private static final Color[] COLORS = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73),
        new Color(0xCC79A7), new Color(0x56B4E9), new Color(0xD55E00), new Color(0xF0E442), new Color(0x000000)};

    private ReportChart() {
    }

    /** The metrics drawn: those in [0, 1], higher-is-better, present for some algorithm, in {@link Metric} order. */
    static List<Metric> chartedMetrics(EvaluationReport report) {
        List<Metric> out = new ArrayList<>();
        for (Metric m : ReportMarkdown.usedMetrics(report.algorithms())) {
            if (m.higherIsBetter()) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Draws the chart: {@link #WIDTH} wide and {@link #HEIGHT} high when the legend fits on one line below the
     * plot, otherwise with the legend one algorithm per line and the image taller by one line per algorithm.
     */
    public static BufferedImage render(EvaluationReport report) {
        List<Metric> metrics = chartedMetrics(report);
        List<String> series = new ArrayList<>();
        for (AlgorithmResult r : report.algorithms()) {
            series.add(r.algorithm() + String.format(Locale.ROOT, " (%.1f ms/image)", r.meanMillis()));
        }
        boolean oneLine = legendWidth(series) <= WIDTH - 40;
        int height = oneLine ? HEIGHT : HEIGHT + LEGEND_LINE * series.size();

        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(height)
                .title("Evaluation on " + report.dataset() + " (" + report.imageCount() + " images)")
                .yAxisTitle("score (higher is better)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(oneLine ? Styler.LegendLayout.Horizontal : Styler.LegendLayout.Vertical)
                .setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
                .setPlotBorderVisible(false).setSeriesColors(COLORS).setAntiAlias(true)
                .setChartTitleFont(TITLE_FONT).setLegendFont(LEGEND_FONT);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setYAxisDecimalPattern("0.00")
                .setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13))
                .setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14))
                .setPlotGridLinesColor(new Color(0xDDDDDD)).setXAxisTitleVisible(false);
        chart.getStyler().setAvailableSpaceFill(0.8).setOverlapped(false).setLabelsVisible(true)
                .setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10)).setLabelsFontColorAutomaticEnabled(false)
                .setLabelsFontColor(Color.BLACK).setLabelsPosition(1.0).setLabelsRotation(0);

        List<String> x = new ArrayList<>();
        for (Metric m : metrics) {
            x.add(m.label());
        }
        for (int a = 0; a < series.size(); a++) {
            AlgorithmResult r = report.algorithms().get(a);
            List<Double> y = new ArrayList<>();
            for (Metric m : metrics) {
                double v = r.get(m);
                y.add(Double.isFinite(v) ? v : null);
            }
            chart.addSeries(series.get(a), x, y);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Width in pixels of a one-line legend: each entry's text plus its colour box and padding. */
    private static int legendWidth(List<String> series) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            FontMetrics fm = g.getFontMetrics(LEGEND_FONT);
            int w = 0;
            for (String s : series) {
                w += fm.stringWidth(s) + LEGEND_ENTRY_EXTRA;
            }
            return w;
        } finally {
            g.dispose();
        }
    }

    /**
     * Draws the chart and writes it to {@code file} as PNG.
     *
     * @throws IOException naming the file if it cannot be written
     */
    public static void write(EvaluationReport report, Path file) throws IOException {
        BufferedImage image = render(report);
        try {
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
