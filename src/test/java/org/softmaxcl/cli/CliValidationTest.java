package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's validation table, command-line rows that {@link ExitCodesTest} and {@link
 * SoftmaxCommandTest} leave out: malformed {@code .npy} inputs (Fortran order, wrong dtype, wrong
 * rank, K = 0, a bad header, truncated data), targets of the wrong kind, option files of the wrong
 * length, options that exclude each other, an input that is a folder, and an output that cannot be
 * written. Bad input exits 2 with one line on stderr naming the option and the problem; a write
 * that fails after the computation exits 1; neither creates or changes a file.
 */
class CliValidationTest {
    @TempDir
    Path dir;
    XentFixture f;

    @BeforeEach
    void files() throws IOException {
        f = new XentFixture(dir);
    }

    /** A bad command line: its arguments ({name} placeholders resolved from {@link #files}), the exit status, the message. */
    record Bad(String name, List<String> args, int exit, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> bad() {
        String x = "xent --backend cpu --logits ";
        String s = "softmax --backend cpu --out {dir}/p.npy --in ";
        return List.of(
                bad("Fortran-order logits", x + "{fortran} --targets {t64}", 2, "--logits: ", "Fortran-order arrays are not supported"),
                bad("float64 logits", x + "{f64} --targets {t64}", 2, "holds float64; a float32 array is needed"),
                bad("3-D logits", x + "{rank3} --targets {t64}", 2, "has shape (37, 23, 1); a 2-D array (N, K) is needed"),
                bad("K = 0", x + "{k0} --targets {t64}", 2, "K must be >= 1"),
                bad("header not a dict", x + "{nodict} --targets {t64}", 2, "header is not a dict"),
                bad("truncated data", x + "{truncated} --targets {t64}", 2, "(truncated)"),
                bad("logits path is a folder", x + "{dir} --targets {t64}", 2, "is a folder, not a .npy file"),
                bad("missing targets file", x + "{logits} --targets {dir}/none.npy", 2, "--targets: no such file"),
                bad("float32 targets of rank 1", x + "{logits} --targets {perrow}", 2,
                        "holds float32 of shape (37,); soft targets need the logits' shape (37, 23)"),
                bad("class indices of rank 2", x + "{logits} --targets {i32rank2}", 2, "holds class indices of shape (37, 1)"),
                bad("float64 targets", x + "{logits} --targets {f64}", 2, "targets are int32/int64 class indices"),
                bad("int64 target beyond int", x + "{logits} --targets {huge}", 2, "does not fit in an int"),
                bad("row temperatures of length K", x + "{logits} --targets {t64} --row-temperatures {weights}", 2,
                        "--row-temperatures: ", "(37,) is needed"),
                bad("temperature and row temperatures", x + "{logits} --targets {t64} --temperature 2 --row-temperatures {perrow}",
                        2, "--temperature and --row-temperatures exclude each other"),
                bad("grad scale and row grad scales", x + "{logits} --targets {t64} --grad-scale 2 --row-grad-scales {perrow}",
                        2, "--grad-scale and --row-grad-scales exclude each other"),
                bad("negative sample weight", x + "{logits} --targets {t64} --sample-weights {negrow}", 2,
                        "--sample-weights: sampleWeights[0] must be finite and >= 0, got -1.0"),
                bad("NaN label smoothing", x + "{logits} --targets {t64} --label-smoothing NaN", 2,
                        "labelSmoothing must be in [0, 1], got NaN"),
                bad("softmax of Fortran-order input", s + "{fortran}", 2, "--in: ", "Fortran-order"),
                bad("softmax of 1-D input", s + "{perrow}", 2, "a 2-D array (N, K) is needed"),
                bad("softmax row temperatures of int64", s + "{logits} --row-temperatures {t64}", 2,
                        "--row-temperatures: ", "holds int64; float32 is needed"),
                bad("softmax row temperature 0", s + "{logits} --row-temperatures {zerorow}", 2,
                        "rowTemperatures[0] must be finite and > 0, got 0.0"),
                bad("softmax +inf scaled (x/T overflow)", s + "{big} --temperature 0.5", 2, "overflows float32"),
                bad("xent output name too long to create", x + "{logits} --targets {t64} --grad-out {dir}/{long}.npy", 1,
                        "error: UncheckedIOException: --grad-out: cannot write"),
                bad("softmax output name too long to create", "softmax --backend cpu --in {logits} --out {dir}/{long}.npy", 1,
                        "error: UncheckedIOException: --out: cannot write"));
    }

    private static Bad bad(String name, String args, int exit, String... message) {
        return new Bad(name, List.of(args.split(" ")), exit, String.join("\u0000", message));
    }

    private Map<String, String> placeholders() throws IOException {
        int n = XentFixture.N;
        int k = XentFixture.K;
        Map<String, String> m = new TreeMap<>();
        m.put("{dir}", dir.toString());
        m.put("{logits}", f.logitsFile.toString());
        m.put("{t64}", f.hard64File.toString());
        m.put("{weights}", f.weightsFile.toString());
        m.put("{perrow}", f.perRowFile.toString());
        m.put("{long}", "x".repeat(300));
        m.put("{fortran}", write("fortran.npy", "<f4", "True", "(37, 23)", n * k * 4).toString());
        m.put("{f64}", write("f64.npy", "<f8", "False", "(37,)", n * 8).toString());
        m.put("{rank3}", write("rank3.npy", "<f4", "False", "(37, 23, 1)", n * k * 4).toString());
        m.put("{k0}", write("k0.npy", "<f4", "False", "(37, 0)", 0).toString());
        m.put("{i32rank2}", write("i32rank2.npy", "<i4", "False", "(37, 1)", n * 4).toString());
        byte[] nodict = NpyTest.build(1, "descr: <f4, shape: 37x23", new byte[n * k * 4]);
        m.put("{nodict}", Files.write(dir.resolve("nodict.npy"), nodict).toString());
        byte[] whole = Files.readAllBytes(f.logitsFile);
        m.put("{truncated}", Files.write(dir.resolve("truncated.npy"), java.util.Arrays.copyOf(whole, whole.length - 5)).toString());
        ByteBuffer huge = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            huge.putLong(i == 3 ? 1L << 40 : 0);
        }
        m.put("{huge}", Files.write(dir.resolve("huge.npy"), NpyFiles.concat(Npy.header("<i8", new int[] {n}), huge.array())).toString());
        float[] negrow = new float[n];
        negrow[0] = -1;
        m.put("{negrow}", NpyFiles.float32(dir.resolve("negrow.npy"), negrow, n).toString());
        m.put("{zerorow}", NpyFiles.float32(dir.resolve("zerorow.npy"), new float[n], n).toString());
        float[] big = f.logits.clone();
        big[2 * k + 1] = 3e38f;
        m.put("{big}", NpyFiles.float32(dir.resolve("big.npy"), big, n, k).toString());
        return m;
    }

    /** A .npy of {@code dataBytes} zero bytes under a hand-written header. */
    private Path write(String name, String descr, String fortran, String shape, int dataBytes) throws IOException {
        byte[] b = NpyTest.build(1, "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }",
                new byte[dataBytes]);
        return Files.write(dir.resolve(name), b);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void isRefusedWithItsExitStatusAndWritesNothing(Bad bad) throws IOException {
        Map<String, String> m = placeholders();
        List<String> args = new ArrayList<>();
        for (String a : bad.args()) {
            for (Map.Entry<String, String> e : m.entrySet()) {
                a = a.replace(e.getKey(), e.getValue());
            }
            args.add(a);
        }
        FolderSnapshot before = FolderSnapshot.of(dir);
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isEqualTo(bad.exit());
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("softmax-cl " + bad.args().get(0) + ": ").contains(bad.message().split("\u0000"));
        before.assertUnchanged();
    }

    /**
     * An output folder without write permission is refused before anything is computed (exit 2).
     * Root may write anywhere, so as root the permission check cannot fail: there, the test shows
     * that such a run still writes its output (no false refusal).
     */
    @Test
    void anOutputFolderWithoutWritePermission() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Cli.Result r = Cli.run("softmax", "--backend", "cpu", "--in", f.logitsFile.toString(), "--out",
                    locked.resolve("p.npy").toString());
            if (Files.isWritable(locked)) {
                assertThat(r.code()).as("as root: " + r).isZero();
            } else {
                assertThat(r.code()).as(r.toString()).isEqualTo(2);
                assertThat(r.err()).contains("--out: the folder of").contains("is not writable");
                try (Stream<Path> s = Files.list(locked)) {
                    assertThat(s.count()).isZero();
                }
            }
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
