package org.softmaxcl.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The sweep's chart (XChart, PNG): end-to-end throughput in Gelem/s against K on a log axis, one
 * series per backend, plus the OpenCL kernel-only throughput as a dashed series.
 */
final class SweepChart {
    private SweepChart() {
    }

    /** The PNG bytes of the chart of {@code results}. */
    static byte[] png(List<BenchResult> results, String title) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title)
                .xAxisTitle("classes K (N·K ≈ constant)").yAxisTitle("Gelem/s (N·K / median time)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisDecimalPattern("#,###");
        chart.getStyler().setYAxisDecimalPattern("0.###");
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (BenchResult r : results) {
            series.computeIfAbsent(r.backend() + " (end to end)", s -> new ArrayList<>())
                    .add(new double[] {r.classes(), r.gelemPerS()});
            if (r.kernel() != null) {
                series.computeIfAbsent(r.backend() + " (kernel only)", s -> new ArrayList<>())
                        .add(new double[] {r.classes(), r.elements() / r.kernel().medianNs()});
            }
        }
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            List<double[]> pts = e.getValue();
            double[] xs = pts.stream().mapToDouble(p -> p[0]).toArray();
            double[] ys = pts.stream().mapToDouble(p -> p[1]).toArray();
            var s = chart.addSeries(e.getKey(), xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            if (e.getKey().endsWith("(kernel only)")) {
                s.setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT,
                        java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the chart: " + e.getMessage(), e);
        }
    }
}
