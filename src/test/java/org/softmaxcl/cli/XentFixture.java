package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Reduction;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

/**
 * Seeded inputs for the xent command written as .npy files, and the check that the command's
 * outputs equal the library API's bit for bit.
 */
final class XentFixture {
    static final int N = 37;
    static final int K = 23;

    final Path dir;
    final float[] logits = new float[N * K];
    /** The logits with one −∞ (a legal mask) at row 5, column 3. */
    final float[] masked;
    final int[] hard = new int[N];
    /** The hard targets with row 4 (ignored at −100 in {@link #hard}) set to class 5. */
    final int[] hard5;
    final float[] soft = new float[N * K];
    final float[] weights = new float[K];
    final float[] perRow = new float[N];
    final Path logitsFile;
    final Path maskedFile;
    final Path hard64File;
    final Path hard5File;
    final Path hard32File;
    final Path softFile;
    final Path weightsFile;
    final Path perRowFile;

    XentFixture(Path dir) throws IOException {
        this.dir = dir;
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * 3 + (r.nextInt(50) == 0 ? 12 : 0));
        }
        masked = logits.clone();
        masked[5 * K + 3] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < N; i++) {
            hard[i] = r.nextInt(K);
            perRow[i] = (float) (0.5 + r.nextDouble());
            float sum = 0;
            for (int j = 0; j < K; j++) {
                float v = r.nextInt(3) == 0 ? 0f : (float) r.nextDouble();
                soft[i * K + j] = v;
                sum += v;
            }
            for (int j = 0; j < K; j++) {
                soft[i * K + j] /= sum;
            }
        }
        hard[4] = -100;
        hard[9] = 5;
        hard5 = hard.clone();
        hard5[4] = 5;
        for (int j = 0; j < K; j++) {
            weights[j] = (float) (0.25 + r.nextDouble());
        }
        logitsFile = NpyFiles.float32(dir.resolve("logits.npy"), logits, N, K);
        maskedFile = NpyFiles.float32(dir.resolve("masked.npy"), masked, N, K);
        hard64File = NpyFiles.int64(dir.resolve("targets64.npy"), hard);
        hard5File = NpyFiles.int64(dir.resolve("targets5.npy"), hard5);
        hard32File = NpyFiles.int32(dir.resolve("targets32.npy"), hard);
        softFile = NpyFiles.float32(dir.resolve("soft.npy"), soft, N, K);
        weightsFile = NpyFiles.float32(dir.resolve("weights.npy"), weights, K);
        perRowFile = NpyFiles.float32(dir.resolve("perrow.npy"), perRow, N);
    }

    /**
     * Runs {@code xent} with {@code args} (plus --backend, --grad-out and --loss-out) and checks
     * loss, gradient and row losses against {@link Engine#crossEntropyWithGradient} with {@code
     * options}, bit for bit; returns the JSON.
     */
    Map<String, Object> checkBitForBit(BackendChoice backend, boolean softTargets, List<String> args,
                                       UnaryOperator<XentOptions.Builder> options) throws IOException {
        return checkBitForBit(backend, softTargets ? "soft" : "hard", false, args, options);
    }

    /**
     * As above, with {@code targets} one of "hard" (row 4 ignored at −100), "hard5" (no row at −100)
     * or "soft", and {@code mask} choosing the logits with one −∞.
     */
    Map<String, Object> checkBitForBit(BackendChoice backend, String targets, boolean mask, List<String> args,
                                       UnaryOperator<XentOptions.Builder> options) throws IOException {
        boolean softTargets = targets.equals("soft");
        Path targetsFile = softTargets ? softFile : targets.equals("hard5") ? hard5File : hard64File;
        float[] x = mask ? masked : logits;
        Path grad = dir.resolve("grad.npy");
        Path loss = dir.resolve("loss.npy");
        Files.deleteIfExists(grad);
        Files.deleteIfExists(loss);
        List<String> all = new ArrayList<>(List.of("xent", "--logits", (mask ? maskedFile : logitsFile).toString(),
                "--targets", targetsFile.toString(), "--backend", backend.name().toLowerCase(),
                "--grad-out", grad.toString(), "--loss-out", loss.toString()));
        all.addAll(args);
        Cli.Result res = Cli.run(all.toArray(String[]::new));
        assertThat(res.code()).as(res.toString()).isZero();
        Map<String, Object> json = res.json();

        XentOptions opts = options.apply(XentOptions.builder()).build();
        // --loss-out asks for the per-row losses, which the API returns under NONE or with row statistics.
        XentOptions withRows = opts.reduction() == Reduction.NONE ? opts : opts.toBuilder().rowStats(true).build();
        Targets t = softTargets ? Targets.soft(FloatMatrix.of(soft, N, K))
                : Targets.hard(targets.equals("hard5") ? hard5 : hard);
        float[] g = new float[N * K];
        float[] gPlain = new float[N * K];
        XentResult api;
        XentResult plain;
        try (Engine e = Engine.create(backend)) {
            api = e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), t, withRows, FloatMatrix.of(g, N, K));
            plain = e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), t, opts, FloatMatrix.of(gPlain, N, K));
            assertThat(json.get("backend")).isEqualTo(backend.name().toLowerCase());
            assertThat(json.get("device")).isEqualTo(e.report().device());
        }
        assertLossBits(json, api.loss());
        assertThat(bits(NpyFiles.floats(grad))).as("gradient").isEqualTo(bits(g));
        assertThat(bits(NpyFiles.floats(loss))).as("row losses").isEqualTo(bits(api.rowLosses()));
        assertThat(Npy.read(grad).shape()).containsExactly(N, K);
        assertThat(Npy.read(loss).shape()).containsExactly(N);
        // Asking for row losses does not change the loss or the gradient.
        assertThat(Double.doubleToLongBits(plain.loss())).as("loss without row statistics")
                .isEqualTo(Double.doubleToLongBits(api.loss()));
        assertThat(bits(gPlain)).as("gradient without row statistics").isEqualTo(bits(g));
        assertThat(json.get("rows")).isEqualTo((long) N);
        assertThat(json.get("classes")).isEqualTo((long) K);
        assertThat(json.get("counted_rows")).isEqualTo((long) api.countedRows());
        assertThat((Double) json.get("denominator")).isEqualTo(api.denominator());
        return json;
    }

    static void assertLossBits(Map<String, Object> json, double expected) {
        Object loss = json.get("loss");
        if (!Double.isFinite(expected)) {
            assertThat(loss).as("a non-finite loss (%s) prints as null", expected).isNull();
            assertThat(json).containsKey("loss");
            return;
        }
        assertThat(loss).isInstanceOf(Double.class);
        assertThat(Double.doubleToLongBits((Double) loss)).as("loss %s vs API %s", loss, expected)
                .isEqualTo(Double.doubleToLongBits(expected));
    }

    static int[] bits(float[] v) {
        return v == null ? null : Arrays.stream(toBoxed(v)).mapToInt(Float::floatToRawIntBits).toArray();
    }

    private static Float[] toBoxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }
}
