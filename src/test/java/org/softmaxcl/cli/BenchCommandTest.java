package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.softmaxcl.Engine;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench} on the CPU backend: the JSON contract, the text form, and the quick sweep's CSV and PNG. */
class BenchCommandTest {
    @TempDir
    Path dir;

    static final String[] CONTRACT = {"backend", "device", "rows", "classes", "op", "median_ms", "gelem_per_s",
            "min_ms", "max_ms", "gb_per_s"};

    @Test
    void jsonHoldsTheContractsKeys() {
        Cli.Result r = Cli.run("bench", "--rows", "16", "--classes", "33", "--backend", "cpu", "--reps", "3",
                "--warmup", "1", "--json", "--threads", "1");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsKeys(CONTRACT).doesNotContainKey("kernel_ms");
        assertThat(j).containsEntry("backend", "cpu").containsEntry("op", "xent").containsEntry("non_finite", "refuse")
                .containsEntry("rows", 16L)
                .containsEntry("classes", 33L).containsEntry("reps", 3L).containsEntry("threads", 1L);
        double median = (Double) j.get("median_ms");
        assertThat((Double) j.get("min_ms")).isLessThanOrEqualTo(median);
        assertThat((Double) j.get("max_ms")).isGreaterThanOrEqualTo(median);
        assertThat((Double) j.get("gelem_per_s")).isEqualTo(16 * 33 / (median * 1e6), org.assertj.core.data.Offset.offset(1e-9));
        assertThat((Double) j.get("gb_per_s")).isEqualTo(8 * (Double) j.get("gelem_per_s"), org.assertj.core.data.Offset.offset(1e-9));
        // Each timed call is paired with a host copy of its 16·33 floats.
        assertThat(j).containsEntry("copy_threads", 1L);
        assertThat((Double) j.get("copy_gb_per_s")).isPositive().isFinite();
        assertThat((Double) j.get("of_copy")).isPositive().isFinite();
    }

    /**
     * Without {@code --backend}, bench times the backend {@link Engine#auto()} chooses, measured
     * (calibration on, as outside the tests; the choice is cached, so both see the same one): on a
     * host whose Java path beats its OpenCL device (PoCL on 2 cores), the CPU, not the device.
     */
    @Test
    void withoutBackendBenchTimesWhatAutoChooses() {
        String old = System.getProperty("softmaxcl.auto.calibrate");
        System.setProperty("softmaxcl.auto.calibrate", "true");
        try {
            String auto;
            try (Engine e = Engine.auto()) {
                auto = e.backendKind().name().toLowerCase(java.util.Locale.ROOT);
            }
            Cli.Result r = Cli.run("bench", "--rows", "16", "--classes", "33", "--reps", "2", "--warmup", "1", "--json",
                    "--no-copy");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.json()).containsEntry("backend", auto);
            assertThat(r.json().containsKey("kernel_ms")).isEqualTo(auto.equals("opencl"));
        } finally {
            if (old == null) {
                System.clearProperty("softmaxcl.auto.calibrate");
            } else {
                System.setProperty("softmaxcl.auto.calibrate", old);
            }
        }
    }

    @Test
    void noCopyLeavesThePairedCopyOut() {
        Cli.Result r = Cli.run("bench", "--rows", "4", "--classes", "50", "--backend", "cpu", "--reps", "2",
                "--warmup", "0", "--json", "--no-copy", "--non-finite", "propagate");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json()).containsEntry("non_finite", "propagate").containsKeys(CONTRACT).doesNotContainKeys("copy_gb_per_s", "copy_threads", "of_copy");
    }

    @Test
    void softmaxAndTextForm() {
        Cli.Result r = Cli.run("bench", "--rows", "8", "--classes", "100", "--op", "softmax", "--backend", "cpu",
                "--reps", "2", "--warmup", "0");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("softmax 8 x 100 on cpu", "median", "Gelem/s", "GB/s", "host copy paired with each call",
                "median of 2 pairs");
    }

    @Test
    void quickSweepWritesACsvAndAPng() throws IOException {
        Path out = dir.resolve("sweep-out");
        Cli.Result r = Cli.run("bench", "--sweep", "--quick", "--backend", "cpu", "--out", out.toString(), "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        List<?> results = (List<?>) j.get("results");
        assertThat(results).hasSize(Sweep.QUICK_CLASSES.length);
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertThat(csv).hasSize(1 + Sweep.QUICK_CLASSES.length);
        assertThat(csv.get(0)).startsWith("backend,device,op,rows,classes,median_ms").endsWith(",copy_gb_per_s,of_copy");
        assertThat(csv.get(1)).startsWith("cpu,");
        String[] cells = csv.get(1).split(",");
        assertThat(Double.parseDouble(cells[cells.length - 1])).as("of_copy").isPositive();
        byte[] png = Files.readAllBytes(out.resolve("sweep.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        assertThat(png.length).isGreaterThan(1000);
        try (var s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("sweep.csv", "sweep.png");
        }
    }

    @Test
    void sweepOutputThatIsAFileIsBadUsage() throws IOException {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        Cli.Result r = Cli.run("bench", "--sweep", "--quick", "--backend", "cpu", "--out", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--out").contains("not a folder");
        assertThat(Files.readString(file)).isEqualTo("x");
    }
}
