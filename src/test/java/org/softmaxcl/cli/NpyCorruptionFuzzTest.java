package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

/**
 * Random byte-level corruption of the {@code .npy} inputs of {@code xent} and {@code softmax}, run
 * in process ({@link Main#run}): flipped bytes (mostly in the header), truncation, trailing bytes,
 * header edits (dtype, byte order, Fortran order, shape, version, header length). Every case
 * exits 0 with outputs equal bit for bit to the library API's on the parsed input, or exits 2 with
 * one line on stderr and no output file, exactly when the parsed input is refused (by the reader,
 * the command's dtype and shape checks, or the API); never 1, never an uncaught exception. The
 * expected outcome is computed apart from the command: the command's input checks ({@link
 * Inputs}, over {@link Npy#read}) and the API (the CPU engine the command uses, {@code --backend
 * cpu}) on what they read.
 */
class NpyCorruptionFuzzTest {
    static final int N = 5;
    static final int K = 7;
    static final int CASES = 800;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void corruptedInputsExitWith0AndTheApisResultOrWith2() throws IOException {
        SplittableRandom r = new SplittableRandom(Long.getLong("softmaxcl.test.fuzzSeed", 2024));
        float[] logits = new float[N * K];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextDouble() * 6 - 3);
        }
        int[] hard = new int[N];
        for (int i = 0; i < N; i++) {
            hard[i] = r.nextInt(K);
        }
        float[] weights = new float[K];
        Arrays.fill(weights, 0.5f);
        byte[] logitsBytes = Files.readAllBytes(NpyFiles.float32(dir.resolve("l0.npy"), logits, N, K));
        byte[] targetsBytes = Files.readAllBytes(NpyFiles.int64(dir.resolve("t0.npy"), hard));
        byte[] weightsBytes = Files.readAllBytes(NpyFiles.float32(dir.resolve("w0.npy"), weights, K));
        int exit0 = 0;
        int exit2 = 0;
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < CASES && failures.size() < 10; c++) {
            boolean softmax = r.nextInt(4) == 0;
            int victim = softmax ? 0 : r.nextInt(3);
            Path l = write("l.npy", victim == 0 ? Corruption.apply(logitsBytes, r) : logitsBytes);
            Path t = write("t.npy", victim == 1 ? Corruption.apply(targetsBytes, r) : targetsBytes);
            Path w = write("w.npy", victim == 2 ? Corruption.apply(weightsBytes, r) : weightsBytes);
            Path out = dir.resolve("out.npy");
            Files.deleteIfExists(out);
            String[] args = softmax
                    ? new String[] {"softmax", "--in", l.toString(), "--out", out.toString(), "--backend", "cpu"}
                    : new String[] {"xent", "--logits", l.toString(), "--targets", t.toString(), "--weights", w.toString(),
                                    "--backend", "cpu", "--grad-out", out.toString()};
            Cli.Result res;
            try {
                res = Cli.run(args);
            } catch (Throwable e) {
                failures.add("case " + c + ": uncaught " + e);
                continue;
            }
            Expected want = softmax ? expectSoftmax(l) : expectXent(l, t, w);
            String problem = compare(res, want, out);
            if (problem != null) {
                failures.add("case " + c + " (" + args[0] + ", corrupted " + new String[] {"logits", "targets", "weights"}[victim]
                        + "): " + problem + "\n" + res);
            } else if (res.code() == 0) {
                exit0++;
            } else {
                exit2++;
            }
        }
        System.out.printf(Locale.ROOT, "npy corruption fuzz: %d cases in %.1f s: %d exit 0 (equal to the API), %d exit 2%n",
                exit0 + exit2, (System.nanoTime() - t0) / 1e9, exit0, exit2);
        assertThat(failures).isEmpty();
        assertThat(exit0).as("some corruptions leave a valid file").isPositive();
        assertThat(exit2).as("most corruptions are refused").isPositive();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** What the command must do: exit 2, or exit 0 with these outputs. */
    record Expected(boolean refused, double loss, float[] out) {
    }

    private static Expected refused() {
        return new Expected(true, 0, null);
    }

    /** The xent outcome from the reader and the API, apart from the command. */
    static Expected expectXent(Path l, Path t, Path w) {
        try {
            FloatMatrix x = Inputs.matrix("--logits", l);
            Targets targets = Inputs.targets("--targets", t, x.rows(), x.cols());
            float[] weights = Inputs.vector("--weights", w, x.cols(), "K");
            XentOptions o = XentOptions.builder().classWeights(weights).build();
            float[] grad = new float[Math.toIntExact(x.size())];
            XentResult r = org.softmaxcl.testing.Backends.CPU_DEFAULT.engine().crossEntropyWithGradient(x, targets, o,
                    FloatMatrix.of(grad, x.rows(), x.cols()));
            return new Expected(false, r.loss(), grad);
        } catch (UsageException | IllegalArgumentException e) {
            return refused();
        }
    }

    static Expected expectSoftmax(Path l) {
        try {
            FloatMatrix x = Inputs.matrix("--in", l);
            float[] p = new float[Math.toIntExact(x.size())];
            org.softmaxcl.testing.Backends.CPU_DEFAULT.engine().softmax(x, FloatMatrix.of(p, x.rows(), x.cols()), SoftmaxOptions.DEFAULTS);
            return new Expected(false, 0, p);
        } catch (UsageException | IllegalArgumentException e) {
            return refused();
        }
    }

    /** null when the command did what {@code want} says, else what it did wrong. */
    static String compare(Cli.Result res, Expected want, Path out) throws IOException {
        if (res.code() != 0 && res.code() != 2) {
            return "exit " + res.code();
        }
        if (want.refused()) {
            if (res.code() != 2) {
                return "accepted an input the reader or the API refuses";
            }
            if (res.err().lines().count() != 1 || !res.out().isEmpty()) {
                return "exit 2 without exactly one line on stderr";
            }
            return Files.exists(out) ? "exit 2 but an output file was written" : null;
        }
        if (res.code() != 0) {
            return "refused an input the reader and the API accept";
        }
        if (!Arrays.equals(XentFixture.bits(Npy.read(out).floats()), XentFixture.bits(want.out()))) {
            return "the output differs from the API's";
        }
        try {
            Map<String, Object> json = res.json();
            if (json.containsKey("loss")) {
                XentFixture.assertLossBits(json, want.loss());
            }
        } catch (AssertionError | RuntimeException e) {
            return "the JSON differs from the API's: " + e.getMessage();
        }
        return null;
    }

    /** Byte-level corruptions of a .npy file. */
    static final class Corruption {
        private Corruption() {
        }

        /** Header edits: each replaces the first occurrence of a string with another. */
        private static final String[][] EDITS = {
                {"<f4", "<f8"}, {"<f4", ">f4"}, {"<f4", "<i4"}, {"<f4", "|u1"}, {"<f4", "<f2"}, {"<i8", "<i4"},
                {"<i8", "<f4"}, {"<i8", ">i8"}, {"False", "True"}, {"'shape': (", "'shape': (1, "},
                {", 7)", ", 8)"}, {"(5, ", "(0, "}, {"(5, ", "(2, "}, {"(5,)", "(6,)"}, {"(7,)", "(5, 7)"},
                {"(5, 7)", "(35,)"}, {"(5, 7)", "()"}, {"'descr'", "'desc'"}, {"{", "["}, {"}", " "},
                {"(5, 7)", "(5, -7)"}, {"(5, 7)", "(99999999999, 7)"}, {"(5, 7)", "(65536, 65536)"}};

        static byte[] apply(byte[] file, SplittableRandom r) {
            byte[] b = file.clone();
            int headerEnd = Math.min(b.length, 128);
            switch (r.nextInt(8)) {
                case 0:
                case 1: {   // flip 1 to 3 bytes of the header
                    for (int i = r.nextInt(1, 4); i > 0; i--) {
                        b[r.nextInt(headerEnd)] ^= (byte) (1 << r.nextInt(8));
                    }
                    return b;
                }
                case 2: {   // a random byte anywhere
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                    return b;
                }
                case 3:     // truncated
                    return Arrays.copyOf(b, r.nextInt(b.length));
                case 4:     // trailing bytes
                    return Arrays.copyOf(b, b.length + r.nextInt(1, 9));
                case 5: {   // the version byte or the header length
                    int at = r.nextBoolean() ? 6 : 8 + r.nextInt(2);
                    b[at] = (byte) r.nextInt(256);
                    return b;
                }
                default: {  // a header edit (the header keeps its length when the edit does)
                    String[] e = EDITS[r.nextInt(EDITS.length)];
                    String text = new String(b, StandardCharsets.ISO_8859_1);
                    int at = text.indexOf(e[0]);
                    if (at < 0 || at > headerEnd) {
                        b[r.nextInt(headerEnd)] ^= 0x20;
                        return b;
                    }
                    String edited = text.substring(0, at) + e[1] + text.substring(at + e[0].length());
                    return edited.getBytes(StandardCharsets.ISO_8859_1);
                }
            }
        }
    }
}
