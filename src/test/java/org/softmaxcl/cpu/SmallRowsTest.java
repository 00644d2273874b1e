package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.Compare;

/**
 * The Vector API kernels for small K ({@link SmallRowsKernel}, {@link SmallRowsSoftmax}: a group
 * of L rows as a K×L tile, lanes on rows, the passes in {@link LaneTile}) against the float64
 * reference, on whole groups and a tail, dense and strided (the tile moves through its permutation
 * table or row by row: the same bits), in place, with the hazards that take other branches: a
 * subnormal probability (the exact exp's rerun), a −∞ mask, ties of the max, a dominant logit,
 * an ignored row, and a NaN row (its group goes to the scalar kernel). The cross-entropy takes
 * lanes up to {@link VectorKernels#XENT_LANES_K} − 1 (softmax below two vectors).
 */
class SmallRowsTest {
    private static final int N = 4 * LaneTile.L + 3;
    /** Row losses, no reduction; nothing refused, so hazards reach the kernel. */
    private static final XentOptions OPTIONS = XentOptions.builder().reduction(Reduction.NONE)
            .nonFinite(NonFinitePolicy.PROPAGATE).ignoreIndex(-100).build();

    private static float[] batch(int k, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[N * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        for (int i = 0; i < N; i++) {
            int o = i * k;
            int last = k - 1;
            switch (i % 7) {
                case 1 -> {                                          // e is subnormal
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, x[o + j]);
                    }
                    if (k > 1) {
                        x[o + last] = max - 92f;
                    }
                }
                case 2 -> {
                    if (k > 1) {
                        x[o + last] = Float.NEGATIVE_INFINITY;       // a mask: e = 0
                    }
                }
                case 3 -> {                                          // ties of the max
                    x[o] = 40f;
                    x[o + last] = 40f;
                }
                case 4 -> x[o] = 30f;                                // one dominant logit
                default -> { }
            }
        }
        return x;
    }

    private static int[] targets(int k) {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            int kind = i % 7;   // the hazard rows aim at column 0, away from the subnormal and masked last column
            t[i] = kind == 5 ? -100 : kind == 1 || kind == 2 || kind == 4 ? 0 : (i * 131) % k;
        }
        return t;
    }

    /** {@code op} from x into a dense, a strided and the same (in place) view: the same bits. */
    private static void sameBitsDenseStridedInPlace(String what, float[] x, int k,
                                                    java.util.function.BiConsumer<FloatMatrix, FloatMatrix> op) {
        float[] p = new float[N * k];
        op.accept(FloatMatrix.of(x, N, k), FloatMatrix.of(p, N, k));
        FloatMatrix ps = strided(new float[N * k], k, k + 2);
        op.accept(strided(x, k, k + 1), ps);
        Compare.assertSameBits(what + ", dense vs strided", ps.toArray(), p);
        float[] inPlace = x.clone();
        op.accept(FloatMatrix.of(inPlace, N, k), FloatMatrix.of(inPlace, N, k));
        Compare.assertSameBits(what + ", in place vs strided", ps.toArray(), inPlace);
    }

    /** The batch with rows {@code stride} floats apart. */
    private static FloatMatrix strided(float[] dense, int k, int stride) {
        float[] a = new float[N * stride];
        java.util.Arrays.fill(a, Float.NaN);
        for (int i = 0; i < N; i++) {
            System.arraycopy(dense, i * k, a, i * stride, k);
        }
        return FloatMatrix.of(a, 0, N, k, stride);
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 3, 5, 10, 15, 16, 33, 63, 100, 127})
    void crossEntropyMatchesTheReferenceDenseStridedAndInPlace(int k) {
        float[] x = batch(k, 31L * k);
        int[] t = targets(k);
        XentOptions o = OPTIONS;
        try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
            float[] g = new float[N * k];
            XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), o, FloatMatrix.of(g, N, k));
            Reference64.Result ref = Reference64.xent(Compare.widen(x), N, k, t, null, o, true);
            Compare.check("row losses vs float64", ref.rowLoss(), Compare.widen(r.rowLosses()), 2e-7, 2e-6);
            Compare.check("gradient vs float64", ref.grad(), Compare.widen(g), 1e-9, 2e-6);
            if (k > 1) {
                float sub = g[1 * k + k - 1];
                assertThat(sub).as("subnormal probability kept").isPositive().isLessThan(Float.MIN_NORMAL);
            }
            for (int j = 0; j < k; j++) {
                assertThat(g[5 * k + j]).as("ignored row's gradient").isZero();
            }

            FloatMatrix xs = strided(x, k, k + 3);
            FloatMatrix gs = strided(new float[N * k], k, k + 5);
            XentResult rs = e.crossEntropyWithGradient(xs, Targets.hard(t), o, gs);
            Compare.assertSameBits("row losses, strided vs dense", r.rowLosses(), rs.rowLosses());
            Compare.assertSameBits("gradient, strided vs dense", g, gs.toArray());

            float[] inPlace = x.clone();
            XentResult ri = e.crossEntropyWithGradient(FloatMatrix.of(inPlace, N, k), Targets.hard(t), o,
                    FloatMatrix.of(inPlace, N, k));
            Compare.assertSameBits("gradient, in place vs not", g, inPlace);
            Compare.assertSameBits("row losses, in place vs not", r.rowLosses(), ri.rowLosses());
        }
    }

    /**
     * Asking for row statistics changes neither the loss nor the gradient: the lanes' finish makes
     * both either way, and the statistics come beside it (mean reduction; plain and smoothed).
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {3, 10, 23, 40, 100})
    void rowStatisticsLeaveTheLossAndGradientBitsAsTheyAre(int k) {
        float[] x = batch(k, 77L * k);
        int[] t = targets(k);
        for (float eps : new float[] {0f, 0.1f}) {
            XentOptions plain = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).ignoreIndex(-100)
                    .labelSmoothing(eps).build();
            XentOptions stats = plain.toBuilder().rowStats(true).build();
            try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
                float[] g1 = new float[N * k];
                float[] g2 = new float[N * k];
                XentResult r1 = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), plain, FloatMatrix.of(g1, N, k));
                XentResult r2 = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), stats, FloatMatrix.of(g2, N, k));
                String what = "K = " + k + ", smoothing " + eps;
                assertThat(Double.doubleToRawLongBits(r2.loss())).as("loss with statistics, " + what)
                        .isEqualTo(Double.doubleToRawLongBits(r1.loss()));
                Compare.assertSameBits("gradient with statistics, " + what, g1, g2);
                assertThat(r2.stats().argmax()[3]).as("argmax of the row with ties at 0 and K − 1").isZero();
            }
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {3, 10, 100})
    void aNanRowSendsItsGroupToTheScalarKernelAndOnlyItsOwnResultsAreNan(int k) {
        float[] x = batch(k, 77L * k);
        x[2 * k + 1] = Float.NaN;
        int[] t = targets(k);
        XentOptions o = OPTIONS;
        try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
            float[] g = new float[N * k];
            XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), o, FloatMatrix.of(g, N, k));
            assertThat(r.rowLosses()[2]).isNaN();
            for (int i = 0; i < N; i++) {
                if (i != 2 && i % 7 != 5) {
                    assertThat(r.rowLosses()[i]).as("row " + i).isFinite();
                }
            }
            Reference64.Result ref = Reference64.xent(Compare.widen(x), N, k, t, null, o, true);
            double[] refLoss = ref.rowLoss().clone();
            double[] got = Compare.widen(r.rowLosses());
            refLoss[2] = 0;
            got[2] = 0;
            Compare.check("other rows vs float64", refLoss, got, 2e-7, 2e-6);
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 5, 10, 15, 33, 100, 127})
    void softmaxAndLogSoftmaxMatchTheReferenceDenseAndStrided(int k) {
        float[] x = batch(k, 13L * k);
        SoftmaxOptions o = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
        try (Engine e = Engine.over(CpuBackend.vector(1, "test"))) {
            float[] p = new float[N * k];
            e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p, N, k), o);
            // z − m rounded to float32 carries a relative error of 2^−24 into exp times |z − m|, up to
            // 90 here: 1e-5 relative for the tiniest probabilities (PyTorch's float32 has the same).
            Compare.check("softmax vs float64", Reference64.softmax(Compare.widen(x), N, k, null, false), Compare.widen(p),
                    1e-44, 1e-5);
            float[] lp = new float[N * k];
            e.logSoftmax(FloatMatrix.of(x, N, k), FloatMatrix.of(lp, N, k), o);
            double[] ref = Reference64.softmax(Compare.widen(x), N, k, null, true);
            for (int i = 0; i < ref.length; i++) {
                if (Double.isInfinite(ref[i])) {
                    assertThat(lp[i]).as("log p of a masked logit").isEqualTo(Float.NEGATIVE_INFINITY);
                    ref[i] = 0;
                    lp[i] = 0;
                }
            }
            Compare.check("log-softmax vs float64", ref, Compare.widen(lp), 1e-6, 2e-6);
            FloatMatrix ps = strided(new float[N * k], k, k + 1);
            e.softmax(strided(x, k, k + 2), ps, o);
            Compare.assertSameBits("softmax, strided vs dense", p, ps.toArray());
            // Row temperatures changing within and between groups of lanes (each lane's 1/T is
            // computed again only where its T changed), and a constant T that is not 1.
            float[] temps = new float[N];
            double[] temps64 = new double[N];
            for (int i = 0; i < N; i++) {
                temps[i] = i < N / 2 ? 0.5f + (i % 5) * 0.4f : 1.7f;
                temps64[i] = temps[i];
            }
            for (boolean log : new boolean[] {false, true}) {
                float[] pt = new float[N * k];
                SoftmaxOptions ot = o.withRowTemperatures(temps);
                if (log) {
                    e.logSoftmax(FloatMatrix.of(x, N, k), FloatMatrix.of(pt, N, k), ot);
                } else {
                    e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(pt, N, k), ot);
                }
                double[] reft = Reference64.softmax(Compare.widen(x), N, k, temps64, log);
                double[] got = Compare.widen(pt);
                for (int i = 0; i < reft.length; i++) {
                    if (Double.isInfinite(reft[i]) && got[i] == reft[i]) {
                        reft[i] = 0;
                        got[i] = 0;
                    }
                }
                Compare.check((log ? "log-softmax" : "softmax") + " with row temperatures vs float64", reft, got,
                        log ? 1e-6 : 1e-44, log ? 2e-6 : 1e-5);
            }
        }
    }

    /**
     * With gathers, dense rows go out in memory order, each vector's exponentials computed again
     * from x with the rows' 1/T, max and factor spread over its lanes ({@link LaneTile#expScaledRows});
     * strided rows go out from the tile. Both give the same bits (and with element moves too):
     * the cross-entropy's gradient, softmax and log-softmax with a temperature of 1, a constant one that is
     * not, and row temperatures changing within a group (0.5 puts the subnormal row's smallest
     * argument below the fast exp's range, so those groups take the exact exp), in place too.
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 7, 10, 16, 31, 63, 100})
    void outputsInMemoryOrderGiveTheTilesBits(int k) {
        float[] x = batch(k, 11L * k);
        int[] t = targets(k);
        float[] temps = new float[N];
        for (int i = 0; i < N; i++) {
            temps[i] = 0.5f + (i % 3) * 0.75f;
        }
        for (boolean gather : new boolean[] {false, true}) {
            try (Engine e = Engine.over(new CpuBackend(new VectorKernels(gather), 1, "test"))) {
                for (XentOptions o : new XentOptions[] {OPTIONS, OPTIONS.toBuilder().temperature(0.5f).build(),
                        OPTIONS.toBuilder().rowTemperatures(temps).build()}) {
                    float[] g = new float[N * k];
                    XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), o,
                            FloatMatrix.of(g, N, k));
                    FloatMatrix gs = strided(new float[N * k], k, k + 5);
                    XentResult rs = e.crossEntropyWithGradient(strided(x, k, k + 3), Targets.hard(t), o, gs);
                    Compare.assertSameBits("gradient, dense vs strided, gather " + gather, gs.toArray(), g);
                    Compare.assertSameBits("row losses, dense vs strided", rs.rowLosses(), r.rowLosses());
                    float[] inPlace = x.clone();
                    e.crossEntropyWithGradient(FloatMatrix.of(inPlace, N, k), Targets.hard(t), o, FloatMatrix.of(inPlace, N, k));
                    Compare.assertSameBits("gradient in place, dense vs strided", gs.toArray(), inPlace);
                    assertThat(g).as("a gradient was written").isNotEqualTo(new float[N * k]);
                }
                SoftmaxOptions base = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
                for (SoftmaxOptions o : new SoftmaxOptions[] {base, base.withTemperature(0.5f), base.withRowTemperatures(temps)}) {
                    sameBitsDenseStridedInPlace("softmax, gather " + gather, x, k, (in, out) -> e.softmax(in, out, o));
                    // Log-softmax: dense rows by gathers from the tile, strided by scatters.
                    sameBitsDenseStridedInPlace("log-softmax, gather " + gather, x, k, (in, out) -> e.logSoftmax(in, out, o));
                }
            }
        }
    }

    /**
     * Rows moved into the tiles by gathers and out by scatters ({@link LaneTile#GATHER_PROPERTY},
     * the default on Intel's AVX-512) give the same bits as moved element by element (the default
     * elsewhere; softmax's dense rows from {@link LaneTile#ROW_MOVES_K} on row by row), with the
     * cross-entropy's target entries read by scalar reads or by gathers ({@link LaneTile#TARGET_GATHER}):
     * cross-entropy with hard targets (plain, smoothed, class- and sample-weighted) and soft
     * targets, dense, strided, in place and loss only; softmax and log-softmax dense and strided.
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {2, 3, 10, 17, 33, 63, 127})
    void gathersAndElementMovesGiveTheSameBits(int k) {
        float[] x = batch(k, 5L * k);
        int[] t = targets(k);
        float[] y = new float[N * k];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) ((i * 37) % 11) / (11f * k);
        }
        XentOptions smooth = OPTIONS.toBuilder().labelSmoothing(0.1f).build();
        float[] cw = new float[k];
        float[] sw = new float[N];
        for (int j = 0; j < k; j++) {
            cw[j] = 0.5f + j % 3;
        }
        for (int i = 0; i < N; i++) {
            sw[i] = 0.25f * (1 + i % 4);
        }
        // Class and sample weights: the finish's general branch, target entries one row at a time.
        XentOptions weighted = OPTIONS.toBuilder().classWeights(cw).sampleWeights(sw).build();
        SoftmaxOptions so = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
        java.util.List<float[]> out = new java.util.ArrayList<>();
        String[] names = {"element moves, scalar target reads", "element moves, target gathers", "gathers"};
        VectorKernels[] configs = {new VectorKernels(false, false), new VectorKernels(false, true), new VectorKernels(true)};
        for (int c = 0; c < configs.length; c++) {
            java.util.List<float[]> o = new java.util.ArrayList<>();
            try (Engine e = Engine.over(new CpuBackend(configs[c], 1, "test"))) {
                for (XentOptions xo : new XentOptions[] {OPTIONS, smooth, weighted}) {
                    float[] g = new float[N * k];
                    o.add(e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), xo, FloatMatrix.of(g, N, k))
                            .rowLosses());
                    o.add(g);
                }
                o.add(e.crossEntropy(FloatMatrix.of(x, N, k), Targets.hard(t), OPTIONS).rowLosses());   // loss only
                FloatMatrix gs = strided(new float[N * k], k, k + 5);
                o.add(e.crossEntropyWithGradient(strided(x, k, k + 3), Targets.soft(strided(y, k, k + 1)), OPTIONS, gs)
                        .rowLosses());
                o.add(gs.toArray());
                float[] inPlace = x.clone();
                o.add(e.crossEntropyWithGradient(FloatMatrix.of(inPlace, N, k), Targets.hard(t), OPTIONS,
                        FloatMatrix.of(inPlace, N, k)).rowLosses());
                o.add(inPlace);
                for (boolean log : new boolean[] {false, true}) {
                    float[] p = new float[N * k];
                    FloatMatrix ps = strided(new float[N * k], k, k + 2);
                    if (log) {
                        e.logSoftmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p, N, k), so);
                        e.logSoftmax(strided(x, k, k + 1), ps, so);
                    } else {
                        e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p, N, k), so);
                        e.softmax(strided(x, k, k + 1), ps, so);
                    }
                    o.add(p);
                    o.add(ps.toArray());
                }
            }
            if (out.isEmpty()) {
                out.addAll(o);
            } else {
                for (int i = 0; i < o.size(); i++) {
                    Compare.assertSameBits("output " + i + ", " + names[c] + " vs " + names[0], out.get(i), o.get(i));
                }
            }
        }
        // The strided gradient and the in-place one are results, not zeros left behind.
        assertThat(out.get(8)).as("soft-target gradient").isNotEqualTo(new float[N * k]);
        assertThat(out.get(10)).as("in-place gradient").isNotEqualTo(x);
    }
}
