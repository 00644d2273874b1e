package org.softmaxcl.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Turns one JMH JSON result file into the results page: a Markdown table per benchmark (median
 * time, Gelem/s = N·K / median, GB/s at 8 bytes per element, the fraction of the copy bandwidth
 * measured in the same run, the ratio to the scalar CPU path) and a PNG chart of throughput
 * against K from the K sweep.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.softmaxcl.bench.Report results.json OUT_DIR</pre>
 */
public final class Report {
    private Report() {
    }

    /** One benchmark result. */
    /** One result: median, minimum (p0) and p90 of the sampled call times in milliseconds. */
    record Row(String benchmark, Map<String, String> params, double medianMs, double p10Ms, double p90Ms) {
        String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Report JMH_RESULT.json OUT_DIR");
            System.exit(2);
        }
        List<Row> rows = read(Path.of(args[0]));
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        Files.writeString(out.resolve("RESULTS-table.md"), table(rows));
        chart(rows, out.resolve("ksweep.png"));
        System.out.println("wrote " + out.resolve("RESULTS-table.md") + " and " + out.resolve("ksweep.png"));
    }

    static List<Row> read(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file)) {
            JsonArray all = JsonParser.parseReader(r).getAsJsonArray();
            for (JsonElement e : all) {
                JsonObject o = e.getAsJsonObject();
                String bench = o.get("benchmark").getAsString();
                Map<String, String> params = new LinkedHashMap<>();
                if (o.has("params")) {
                    for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
                        params.put(p.getKey(), p.getValue().getAsString());
                    }
                }
                JsonObject m = o.getAsJsonObject("primaryMetric");
                JsonObject pct = m.getAsJsonObject("scorePercentiles");
                double median = pct.get("50.0").getAsDouble();
                double p10 = pct.has("0.0") ? pct.get("0.0").getAsDouble() : median;
                double p90 = pct.has("90.0") ? pct.get("90.0").getAsDouble() : median;
                rows.add(new Row(bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1), params, median, p10, p90));
            }
        }
        return rows;
    }

    /** N·K of a row: from its shape parameter, or from k with N·K = 2^log2Elements (the sweep; 2^22 when not given). */
    static long elements(Row r) {
        String shape = r.param("shape");
        if (!shape.isEmpty()) {
            String[] p = shape.split("x");
            return Long.parseLong(p[0]) * Long.parseLong(p[1]);
        }
        if (!r.param("k").isEmpty()) {
            long k = Long.parseLong(r.param("k"));
            return (1L << sweepLog2(r)) / k * k;
        }
        return CopyBench.ELEMENTS;
    }

    /** log2 of a sweep row's N·K: its log2Elements parameter, 22 in runs from before it existed. */
    static int sweepLog2(Row r) {
        return r.param("log2Elements").isEmpty() ? 22 : Integer.parseInt(r.param("log2Elements"));
    }

    static String table(List<Row> rows) {
        double copyGBs = rows.stream().filter(r -> r.benchmark().startsWith("CopyBench"))
                .mapToDouble(r -> 8.0 * CopyBench.ELEMENTS / (r.medianMs() * 1e6)).findFirst().orElse(Double.NaN);
        // The device's own copy (DeviceCopyBench): the ceiling of the device-resident rows.
        double deviceGBs = rows.stream().filter(r -> r.benchmark().startsWith("DeviceCopyBench"))
                .mapToDouble(r -> 2.0 * Long.parseLong(r.param("mib")) * (1 << 20) / (r.medianMs() * 1e6))
                .findFirst().orElse(Double.NaN);
        StringBuilder s = new StringBuilder();
        if (!Double.isNaN(copyGBs)) {
            s.append(String.format(Locale.ROOT, "Copy bandwidth in this run: %.2f GB/s at 8 B/element = %.3f Gelem/s "
                    + "(CopyBench, median).%n%n", copyGBs, copyGBs / 8));
        }
        if (!Double.isNaN(deviceGBs)) {
            s.append(String.format(Locale.ROOT, "Device copy bandwidth in this run: %.0f GB/s read + written = %.1f Gelem/s "
                    + "at 8 B/element (DeviceCopyBench, median); ResidentBench rows are held against it.%n%n",
                    deviceGBs, deviceGBs / 8));
        }
        Map<String, List<Row>> byBench = new TreeMap<>();
        for (Row r : rows) {
            if (!r.benchmark().startsWith("CopyBench") && !r.benchmark().startsWith("DeviceCopyBench")) {
                byBench.computeIfAbsent(r.benchmark(), b -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<Row>> b : byBench.entrySet()) {
            s.append("### ").append(b.getKey()).append("\n\n");
            s.append("| backend | shape | checks | median ms (min–p90) | Gelem/s | GB/s @8B | of copy BW | × scalar |\n");
            s.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
            double ceiling = b.getKey().startsWith("ResidentBench") && !Double.isNaN(deviceGBs) ? deviceGBs : copyGBs;
            for (Row r : b.getValue()) {
                double gelem = elements(r) / (r.medianMs() * 1e6);
                Row scalar = b.getValue().stream().filter(x -> x.param("backend").equals("cpu-scalar")
                        && x.param("shape").equals(r.param("shape")) && x.param("k").equals(r.param("k"))
                        && x.param("nonFinite").equals(r.param("nonFinite"))
                        && x.param("options").equals(r.param("options"))).findFirst().orElse(null);
                String ratio = scalar == null ? "" : String.format(Locale.ROOT, "%.1f", scalar.medianMs() / r.medianMs());
                String shape = !r.param("shape").isEmpty() ? r.param("shape") : (elements(r) / Long.parseLong(r.param("k"))) + "x" + r.param("k");
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f (%.2f–%.2f) | %.3f | %.2f | %.2f | %s |%n",
                        r.param("backend") + (r.param("op").isEmpty() ? "" : " " + r.param("op"))
                                + (r.param("options").isEmpty() || r.param("options").equals("plain") ? "" : " " + r.param("options")),
                        shape,
                        r.param("nonFinite"), r.medianMs(), r.p10Ms(), r.p90Ms(), gelem,
                        gelem * 8, gelem * 8 / ceiling, ratio));
            }
            s.append('\n');
        }
        return s.toString();
    }

    static void chart(List<Row> rows, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title("Fused cross-entropy forward+backward against K")
                .xAxisTitle("K (classes)").yAxisTitle("Gelem/s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(6);
        Map<String, List<Row>> byBackend = new TreeMap<>();
        for (Row r : rows) {
            if (r.benchmark().startsWith("KSweepBench")) {
                byBackend.computeIfAbsent(r.param("backend") + ", N·K = 2^" + sweepLog2(r), b -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<String, List<Row>> e : byBackend.entrySet()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            e.getValue().sort((a, b) -> Integer.compare(Integer.parseInt(a.param("k")), Integer.parseInt(b.param("k"))));
            for (Row r : e.getValue()) {
                xs.add(Double.parseDouble(r.param("k")));
                ys.add(elements(r) / (r.medianMs() * 1e6));
            }
            chart.addSeries(e.getKey(), xs, ys).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        double copy = rows.stream().filter(r -> r.benchmark().startsWith("CopyBench"))
                .mapToDouble(r -> CopyBench.ELEMENTS / (r.medianMs() * 1e6)).findFirst().orElse(Double.NaN);
        if (!byBackend.isEmpty() && Double.isFinite(copy)) {
            chart.addSeries("memory copy at 8 B/elem", List.of(2.0, 262144.0), List.of(copy, copy))
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        if (!byBackend.isEmpty()) {
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
