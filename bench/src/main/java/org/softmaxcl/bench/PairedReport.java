package org.softmaxcl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The table of a paired run ({@code bench/paired.sh}): one row per op, shape and checks policy,
 * with each jar's median over the rounds of Gelem/s and of {@code of_copy} (the call's fraction of
 * the copy timed beside it), the new jar's copy GB/s, and the new/old time ratio of each round
 * (the two runs of a round are seconds apart, so their ratio is steadier than the medians).
 *
 * <pre>java -cp bench/target/benchmarks.jar org.softmaxcl.bench.PairedReport RUN.jsonl</pre>
 *
 * Input: one JSON object per line, {@code softmax-cl bench --json}'s fields plus {@code jar}
 * ({@code old}, or any other label for the new build: {@code new}, {@code head}) and {@code round}. Lines that are not such objects are an error
 * naming the line.
 */
public final class PairedReport {
    private PairedReport() {
    }

    /** One run of {@code softmax-cl bench}. */
    record Run(String jar, int round, String op, String shape, String checks, double gelem, double ofCopy,
               double copyGbPerS, double medianMs) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: PairedReport RUN.jsonl");
            System.exit(2);
        }
        System.out.print(table(read(Path.of(args[0]))));
    }

    static List<Run> read(Path file) throws IOException {
        List<Run> runs = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                runs.add(new Run(o.get("jar").getAsString(), o.get("round").getAsInt(), o.get("op").getAsString(),
                        o.get("rows").getAsInt() + "x" + o.get("classes").getAsInt(),
                        o.get("non_finite").getAsString().toUpperCase(Locale.ROOT), o.get("gelem_per_s").getAsDouble(),
                        o.get("of_copy").getAsDouble(), o.get("copy_gb_per_s").getAsDouble(),
                        o.get("median_ms").getAsDouble()));
            } catch (RuntimeException e) {
                throw new IOException(file + " line " + n + " is not a paired bench result: " + e.getMessage(), e);
            }
        }
        return runs;
    }

    /** The Markdown table, rows in the order they first appear. */
    static String table(List<Run> runs) {
        Map<String, List<Run>> byConfig = new LinkedHashMap<>();
        for (Run r : runs) {
            byConfig.computeIfAbsent(r.op() + "|" + r.shape() + "|" + r.checks(), c -> new ArrayList<>()).add(r);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| op | shape | checks | old Gelem/s | old of copy | new Gelem/s | new copy GB/s | new of copy |"
                + " new/old time (per round) |\n");
        sb.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for (Map.Entry<String, List<Run>> e : byConfig.entrySet()) {
            List<Run> old = e.getValue().stream().filter(r -> r.jar().equals("old")).toList();
            List<Run> neu = e.getValue().stream().filter(r -> !r.jar().equals("old")).toList();
            String[] key = e.getKey().split("\\|");
            StringBuilder ratios = new StringBuilder();
            for (Run n : neu) {
                for (Run o : old) {
                    if (o.round() == n.round()) {
                        ratios.append(ratios.length() == 0 ? "" : ", ")
                                .append(String.format(Locale.ROOT, "%.2f", n.medianMs() / o.medianMs()));
                    }
                }
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3f | %.2f | **%.3f** | %.1f | **%.2f** | %s |%n",
                    key[0], key[1], key[2], median(old, Run::gelem), median(old, Run::ofCopy), median(neu, Run::gelem),
                    median(neu, Run::copyGbPerS), median(neu, Run::ofCopy), ratios));
        }
        return sb.toString();
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        if (runs.isEmpty()) {
            return Double.NaN;
        }
        double[] v = runs.stream().mapToDouble(f).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
