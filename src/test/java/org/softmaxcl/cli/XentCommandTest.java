package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

/** {@code xent} on the CPU backend: outputs equal the API's bit for bit, and the JSON holds the contract's keys. */
class XentCommandTest {
    @TempDir
    Path dir;

    static List<XentCases> cases() {
        return XentCases.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void equalsTheApiBitForBit(XentCases c) throws IOException {
        XentFixture f = new XentFixture(dir);
        Map<String, Object> json = f.checkBitForBit(BackendChoice.CPU, c.targets(), c.mask(), c.argsFor(f),
                c.options().apply(f));
        if (c.name().contains("+inf")) {
            assertThat(json).containsEntry("loss", null);
        } else {
            assertThat(json.get("loss")).isInstanceOf(Double.class);
        }
    }

    @Test
    void jsonHoldsTheContractsKeysAndNothingElseGoesToStdout() throws IOException {
        XentFixture f = new XentFixture(dir);
        Cli.Result r = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", f.hard32File.toString(),
                "--backend", "cpu");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().lines().count()).isEqualTo(1);
        Map<String, Object> json = r.json();
        assertThat(json).containsKeys("loss", "backend", "device", "rows", "classes", "reduction", "counted_rows",
                "elapsed_ms", "targets", "denominator");
        assertThat(json.get("reduction")).isEqualTo("mean");
        assertThat(json.get("targets")).isEqualTo("hard");
        assertThat(json.get("counted_rows")).isEqualTo((long) XentFixture.N - 1);
        assertThat(json).doesNotContainKeys("grad_out", "loss_out", "accuracy");
        // int32 targets give the same loss as the API without a gradient.
        try (Engine e = Engine.cpu()) {
            XentResult api = e.crossEntropy(FloatMatrix.of(f.logits, XentFixture.N, XentFixture.K), Targets.hard(f.hard));
            XentFixture.assertLossBits(json, api.loss());
        }
    }

    @Test
    void statsAddAccuracyAndMeanEntropy() throws IOException {
        XentFixture f = new XentFixture(dir);
        Cli.Result r = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", f.hard64File.toString(),
                "--backend", "cpu", "--stats");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> json = r.json();
        try (Engine e = Engine.cpu()) {
            XentResult api = e.crossEntropy(FloatMatrix.of(f.logits, XentFixture.N, XentFixture.K),
                    Targets.hard(f.hard), XentOptions.builder().rowStats(true).build());
            assertThat((Double) json.get("accuracy")).isEqualTo(api.stats().accuracy(api.countedRows()));
            double sum = 0;
            for (int i = 0; i < XentFixture.N; i++) {
                if (f.hard[i] != -100) {
                    sum += api.stats().entropy()[i];
                }
            }
            assertThat((Double) json.get("mean_entropy")).isEqualTo(sum / (XentFixture.N - 1));
            XentFixture.assertLossBits(json, api.loss());
        }
    }

    @Test
    void emptyMeanUnderNanPrintsNullLossAndZeroRows() throws IOException {
        XentFixture f = new XentFixture(dir);
        int[] ignored = new int[XentFixture.N];
        java.util.Arrays.fill(ignored, -100);
        Path t = NpyFiles.int32(dir.resolve("ignored.npy"), ignored);
        Cli.Result r = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", t.toString(),
                "--backend", "cpu", "--empty-mean", "nan");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json()).containsEntry("loss", null).containsEntry("counted_rows", 0L);
        Cli.Result zero = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", t.toString(),
                "--backend", "cpu");
        assertThat(zero.json()).containsEntry("loss", 0.0);
    }
}
