package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exit statuses 0, 1 and 2, the one-line message on stderr, and that bad input creates or changes
 * no output file (the folder's bytes are compared before and after).
 */
class ExitCodesTest {
    /** The library's device setting (org.softmaxcl.BackendSelector, package-private there). */
    static final String DEVICE_PROPERTY = "softmaxcl.device";

    @TempDir
    Path dir;
    XentFixture f;
    Path grad;
    Path loss;
    byte[] oldGrad;

    @BeforeEach
    void setUp() throws IOException {
        f = new XentFixture(dir);
        grad = dir.resolve("out-grad.npy");
        loss = dir.resolve("out-loss.npy");
        oldGrad = "an older file that must survive".getBytes();
        Files.write(grad, oldGrad);
    }

    @AfterEach
    void clearProperties() {
        System.clearProperty(DEVICE_PROPERTY);
    }

    /** A bad-input case: the xent arguments (placeholders resolved in {@link #resolve}) and a fragment of the message. */
    record Bad(String name, List<String> args, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> badInputs() {
        return List.of(
                new Bad("missing logits file", List.of("--logits", "{dir}/absent.npy", "--targets", "{t64}"),
                        "--logits: no such file"),
                new Bad("logits not npy", List.of("--logits", "{weightsTxt}", "--targets", "{t64}"), "bad magic"),
                new Bad("logits 1-D", List.of("--logits", "{weights}", "--targets", "{t64}"), "a 2-D array (N, K)"),
                new Bad("targets too short", List.of("--logits", "{logits}", "--targets", "{short}"), "(37,) is needed"),
                new Bad("target out of range", List.of("--logits", "{logits}", "--targets", "{range}"),
                        "targets[2] = 23 is outside [0, 23)"),
                new Bad("NaN logit refused", List.of("--logits", "{nan}", "--targets", "{t64}"), "NaN"),
                new Bad("weights wrong length", List.of("--logits", "{logits}", "--targets", "{t64}", "--weights", "{perrow}"),
                        "--weights"),
                new Bad("negative weight", List.of("--logits", "{logits}", "--targets", "{t64}", "--weights", "{negw}"),
                        "--weights: classWeights[0] must be finite and >= 0, got -1.0"),
                new Bad("smoothing out of range", List.of("--logits", "{logits}", "--targets", "{t64}", "--label-smoothing", "1.5"),
                        "--label-smoothing"),
                new Bad("temperature zero", List.of("--logits", "{logits}", "--targets", "{t64}", "--temperature", "0"),
                        "--temperature: temperature must be finite and > 0, got 0.0"),
                new Bad("temperature not a number", List.of("--logits", "{logits}", "--targets", "{t64}", "--temperature", "warm"),
                        "'warm'"),
                new Bad("bad reduction", List.of("--logits", "{logits}", "--targets", "{t64}", "--reduction", "avg"), "'avg'"),
                new Bad("bad backend", List.of("--logits", "{logits}", "--targets", "{t64}", "--backend", "gpu"), "'gpu'"),
                new Bad("unknown option", List.of("--logits", "{logits}", "--targets", "{t64}", "--frobnicate"), "--frobnicate"),
                new Bad("missing targets", List.of("--logits", "{logits}"), "--targets"),
                new Bad("empty mean refused", List.of("--logits", "{logits}", "--targets", "{ignored}", "--empty-mean", "throw"),
                        "emptyMean is THROW"),
                new Bad("output folder missing", List.of("--logits", "{logits}", "--targets", "{t64}", "--loss-out",
                        "{dir}/no/such/folder/l.npy"), "--loss-out: the folder of"),
                new Bad("output is a folder", List.of("--logits", "{logits}", "--targets", "{t64}", "--loss-out", "{dir}"),
                        "is a folder"),
                new Bad("two outputs one file", List.of("--logits", "{logits}", "--targets", "{t64}", "--loss-out", "{grad}"),
                        "also given as --grad-out"));
    }

    private List<String> resolve(List<String> args) throws IOException {
        int n = XentFixture.N;
        int k = XentFixture.K;
        float[] nan = f.logits.clone();
        nan[3 * k + 4] = Float.NaN;
        int[] range = f.hard.clone();
        range[2] = k;
        int[] ignored = new int[n];
        Arrays.fill(ignored, -100);
        float[] negw = f.weights.clone();
        negw[0] = -1;
        Map<String, String> m = new TreeMap<>();
        m.put("{dir}", dir.toString());
        m.put("{logits}", f.logitsFile.toString());
        m.put("{t64}", f.hard64File.toString());
        m.put("{weights}", f.weightsFile.toString());
        m.put("{perrow}", f.perRowFile.toString());
        m.put("{grad}", grad.toString());
        m.put("{weightsTxt}", Files.writeString(dir.resolve("text.npy"), "hello").toString());
        m.put("{short}", NpyFiles.int64(dir.resolve("short.npy"), 1, 2, 3).toString());
        m.put("{range}", NpyFiles.int64(dir.resolve("range.npy"), range).toString());
        m.put("{nan}", NpyFiles.float32(dir.resolve("nan.npy"), nan, n, k).toString());
        m.put("{ignored}", NpyFiles.int32(dir.resolve("ignored.npy"), ignored).toString());
        m.put("{negw}", NpyFiles.float32(dir.resolve("negw.npy"), negw, k).toString());
        List<String> out = new ArrayList<>();
        for (String a : args) {
            for (Map.Entry<String, String> e : m.entrySet()) {
                a = a.replace(e.getKey(), e.getValue());
            }
            out.add(a);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputExitsWith2AndWritesNothing(Bad bad) throws IOException {
        List<String> args = new ArrayList<>(List.of("xent", "--backend", "cpu", "--grad-out", grad.toString()));
        if (!bad.args().contains("--loss-out")) {
            args.addAll(List.of("--loss-out", loss.toString()));
        }
        args.addAll(resolve(bad.args()));
        if (bad.name().equals("bad backend")) {
            args.remove(1);
            args.remove(1);
        }
        FolderSnapshot before = FolderSnapshot.of(dir);
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("softmax-cl xent: ").contains(bad.message());
        before.assertUnchanged();
        assertThat(loss).doesNotExist();
        assertThat(Files.readAllBytes(grad)).isEqualTo(oldGrad);
    }

    @Test
    void successExitsWith0AndReplacesTheOutput() throws IOException {
        Cli.Result r = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", f.hard64File.toString(),
                "--backend", "cpu", "--grad-out", grad.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(Npy.read(grad).shape()).containsExactly(XentFixture.N, XentFixture.K);
    }

    @Test
    void anUnusableOpenClDeviceExitsWith1AndWritesNothing() throws IOException {
        System.setProperty(DEVICE_PROPERTY, "no-such-device-anywhere");
        Cli.Result r = Cli.run("xent", "--logits", f.logitsFile.toString(), "--targets", f.hard64File.toString(),
                "--backend", "opencl", "--grad-out", grad.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("softmax-cl xent: error: ").contains("OpenCL backend requested");
        assertThat(Files.readAllBytes(grad)).isEqualTo(oldGrad);
        Cli.Result bench = Cli.run("bench", "--rows", "4", "--classes", "8", "--backend", "opencl", "--json");
        assertThat(bench.code()).as(bench.toString()).isEqualTo(1);
    }

    @Test
    void helpAndVersionExitWith0() {
        Cli.Result help = Cli.run("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("devices", "xent", "softmax", "bench", "Exit status");
        Cli.Result xhelp = Cli.run("xent", "--help");
        assertThat(xhelp.code()).isZero();
        assertThat(xhelp.out()).contains("--logits", "--label-smoothing", "--grad-out", "--loss-out");
        Cli.Result v = Cli.run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("softmax-cl ");
    }

    @Test
    void unknownCommandAndBadValuesOfOtherCommandsExitWith2() {
        assertThat(Cli.run("frobnicate").code()).isEqualTo(2);
        assertThat(Cli.run("--rows", "0").code()).isEqualTo(2);
        assertThat(Cli.run("bench", "--rows", "4").code()).isEqualTo(2);
        assertThat(Cli.run("bench", "--rows", "4", "--classes", "8", "--reps", "0").code()).isEqualTo(2);
        assertThat(Cli.run("bench", "--rows", "-4", "--classes", "8").code()).isEqualTo(2);
        assertThat(Cli.run("bench", "--rows", "4", "--classes", "8", "--op", "gemm").code()).isEqualTo(2);
        assertThat(Cli.run("bench", "--sweep", "--rows", "4").code()).isEqualTo(2);
        Cli.Result r = Cli.run("bench", "--rows", "65536", "--classes", "65536");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("more than a Java array holds");
    }
}
