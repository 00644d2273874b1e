package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.SoftmaxOptions;

/** {@code softmax}: outputs equal the API's bit for bit; bad input writes nothing. */
class SoftmaxCommandTest {
    @TempDir
    Path dir;

    /** Runs softmax through the command line and the API on {@code backend} and compares the bits. */
    static Map<String, Object> checkBitForBit(Path dir, BackendChoice backend, boolean log, String... extra) throws IOException {
        XentFixture f = new XentFixture(dir);
        Path out = dir.resolve(log ? "logp.npy" : "p.npy");
        String[] base = {"softmax", "--in", f.logitsFile.toString(), "--out", out.toString(), "--backend",
                backend.name().toLowerCase()};
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(extra))
                .toArray(String[]::new);
        if (log) {
            args = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--log"))
                    .toArray(String[]::new);
        }
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isZero();
        SoftmaxOptions opts = SoftmaxOptions.DEFAULTS;
        for (int i = 0; i < extra.length; i++) {
            if (extra[i].equals("--temperature")) {
                opts = opts.withTemperature(Float.parseFloat(extra[i + 1]));
            } else if (extra[i].equals("--row-temperatures")) {
                opts = opts.withRowTemperatures(f.perRow);
            }
        }
        float[] expected = new float[f.logits.length];
        FloatMatrix x = FloatMatrix.of(f.logits, XentFixture.N, XentFixture.K);
        FloatMatrix y = FloatMatrix.of(expected, XentFixture.N, XentFixture.K);
        try (Engine e = Engine.create(backend)) {
            if (log) {
                e.logSoftmax(x, y, opts);
            } else {
                e.softmax(x, y, opts);
            }
        }
        assertThat(Npy.read(out).shape()).containsExactly(XentFixture.N, XentFixture.K);
        assertThat(XentFixture.bits(NpyFiles.floats(out))).isEqualTo(XentFixture.bits(expected));
        Map<String, Object> json = r.json();
        assertThat(json).containsKeys("op", "backend", "device", "rows", "classes", "elapsed_ms", "out");
        assertThat(json.get("op")).isEqualTo(log ? "log_softmax" : "softmax");
        assertThat(json.get("backend")).isEqualTo(backend.name().toLowerCase());
        return json;
    }

    @Test
    void softmaxEqualsTheApi() throws IOException {
        checkBitForBit(dir, BackendChoice.CPU, false);
    }

    @Test
    void logSoftmaxWithTemperatureEqualsTheApi() throws IOException {
        checkBitForBit(dir, BackendChoice.CPU, true, "--temperature", "0.5");
    }

    @Test
    void perRowTemperaturesEqualTheApi() throws IOException {
        checkBitForBit(dir, BackendChoice.CPU, false, "--row-temperatures", dir.resolve("perrow.npy").toString());
    }

    @Test
    void badInputExitsWith2AndLeavesTheOutputAlone() throws IOException {
        XentFixture f = new XentFixture(dir);
        Path out = dir.resolve("p.npy");
        Files.write(out, new byte[] {42});
        float[] nan = f.logits.clone();
        nan[7] = Float.POSITIVE_INFINITY;
        Path bad = NpyFiles.float32(dir.resolve("inf.npy"), nan, XentFixture.N, XentFixture.K);
        for (String[] args : new String[][] {
                {"softmax", "--in", bad.toString(), "--out", out.toString(), "--backend", "cpu"},
                {"softmax", "--in", f.logitsFile.toString(), "--out", out.toString(), "--temperature", "-1"},
                {"softmax", "--in", f.hard64File.toString(), "--out", out.toString()},
                {"softmax", "--in", f.logitsFile.toString(), "--out", dir.resolve("nope/p.npy").toString()},
                {"softmax", "--in", f.logitsFile.toString()}}) {
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(Files.readAllBytes(out)).containsExactly(42);
        }
        assertThat(dir.resolve("nope")).doesNotExist();
        Cli.Result propagate = Cli.run("softmax", "--in", bad.toString(), "--out", out.toString(), "--backend", "cpu",
                "--non-finite", "propagate");
        assertThat(propagate.code()).as(propagate.toString()).isZero();
        assertThat(Float.isNaN(Npy.read(out).floats()[0])).isTrue();
    }
}
