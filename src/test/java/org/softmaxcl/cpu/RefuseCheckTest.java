package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.testing.Compare;

/**
 * The REFUSE check's first look (every value finite and no scaled value able to overflow: no row
 * refused, nothing more to check) against the row-by-row check it stands in front of: on both
 * kernel paths, two threads, small K (where the look is taken), and K = 64 and 1000 (where the
 * scalar kernels keep the row maxima and the look is not taken, while the vector kernels, which
 * read each row's max during the row before, take it), batches it lets through give the bits
 * PROPAGATE gives, and batches with NaN, ±∞, −∞ masks, all −∞ rows or an overflowing temperature
 * reach the row check, which names the first refused row and leaves the gradient as it was. Label
 * smoothing, whose row pass is not pipelined, keeps the maxima on both paths where the vector
 * kernels take rows rather than lanes.
 */
class RefuseCheckTest {
    private static final int N = 4001;
    private static final int IGNORE = -100;

    static Stream<Arguments> cases() {
        return Stream.of(true, false).flatMap(vector -> Stream.of(3, 10, 40, 64, 1000).map(k -> Arguments.of(vector, k)));
    }

    private static Engine engine(boolean vector) {
        return Engine.over(vector ? CpuBackend.vector(2, "test") : CpuBackend.scalar(2, "test"));
    }

    private static float[] logits(int k) {
        Random rnd = new Random(k);
        float[] x = new float[N * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4);
        }
        return x;
    }

    private static int[] targets(int k) {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            t[i] = i % 9 == 4 ? IGNORE : (i * 7) % k;
        }
        return t;
    }

    private static XentOptions opts(NonFinitePolicy p) {
        return XentOptions.builder().ignoreIndex(IGNORE).nonFinite(p).build();
    }

    /** REFUSE lets the batch through, with the same loss, gradient and softmax bits as PROPAGATE. */
    private static void passesAsPropagate(boolean vector, int k, float[] x, XentOptions refuse, XentOptions propagate,
                                          boolean softmaxToo) {
        int[] t = targets(k);
        try (Engine e = engine(vector)) {
            float[] g1 = new float[N * k];
            float[] g2 = new float[N * k];
            XentResult a = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), refuse, FloatMatrix.of(g1, N, k));
            XentResult b = e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(t), propagate, FloatMatrix.of(g2, N, k));
            assertThat(Double.doubleToRawLongBits(a.loss())).isEqualTo(Double.doubleToRawLongBits(b.loss()));
            Compare.assertSameBits("gradient, REFUSE vs PROPAGATE", g2, g1);
            if (!softmaxToo) {
                return;
            }
            float[] p1 = new float[N * k];
            float[] p2 = new float[N * k];
            e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p1, N, k),
                    SoftmaxOptions.temperature(refuse.temperature()).withNonFinite(NonFinitePolicy.REFUSE));
            e.softmax(FloatMatrix.of(x, N, k), FloatMatrix.of(p2, N, k),
                    SoftmaxOptions.temperature(refuse.temperature()).withNonFinite(NonFinitePolicy.PROPAGATE));
            Compare.assertSameBits("softmax, REFUSE vs PROPAGATE", p2, p1);
        }
    }

    /** REFUSE throws naming {@code where}, and the gradient's sentinel values stay. */
    private static void refused(boolean vector, int k, Consumer<float[]> spoil, XentOptions o, String... where) {
        float[] x = logits(k);
        spoil.accept(x);
        float[] g = new float[N * k];
        Arrays.fill(g, 7f);
        try (Engine e = engine(vector)) {
            assertThatThrownBy(() -> e.crossEntropyWithGradient(FloatMatrix.of(x, N, k), Targets.hard(targets(k)), o,
                    FloatMatrix.of(g, N, k)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits")
                    .hasMessageContainingAll(where);
        }
        for (float v : g) {
            assertThat(v).isEqualTo(7f);
        }
    }

    @ParameterizedTest(name = "vector {0}, K = {1}")
    @MethodSource("cases")
    void finiteBatchesPassWithThePropagateBits(boolean vector, int k) {
        passesAsPropagate(vector, k, logits(k), opts(NonFinitePolicy.REFUSE), opts(NonFinitePolicy.PROPAGATE), true);
        // A temperature below 1 that leaves every scaled logit finite.
        XentOptions cold = opts(NonFinitePolicy.REFUSE).toBuilder().temperature(0.01f).build();
        passesAsPropagate(vector, k, logits(k), cold, cold.toBuilder().nonFinite(NonFinitePolicy.PROPAGATE).build(), true);
        // −∞ masks (not whole rows), and a whole ignored row of −∞: the row check runs and refuses nothing.
        float[] masked = logits(k);
        for (int i = 0; i < N; i += 3) {
            masked[i * k + (i % k)] = Float.NEGATIVE_INFINITY;
        }
        passesAsPropagate(vector, k, masked, opts(NonFinitePolicy.REFUSE), opts(NonFinitePolicy.PROPAGATE), true);
        // Row 4 (ignored by the cross-entropy; softmax counts every row and would refuse it).
        Arrays.fill(masked, 4 * k, 5 * k, Float.NEGATIVE_INFINITY);
        passesAsPropagate(vector, k, masked, opts(NonFinitePolicy.REFUSE), opts(NonFinitePolicy.PROPAGATE), false);
    }

    @ParameterizedTest(name = "vector {0}, K = {1}")
    @MethodSource("cases")
    void nonFiniteLogitsReachTheRowCheck(boolean vector, int k) {
        XentOptions o = opts(NonFinitePolicy.REFUSE);
        refused(vector, k, x -> x[3999 * k + k - 1] = Float.NaN, o, "3999", "NaN");
        refused(vector, k, x -> x[17 * k] = Float.POSITIVE_INFINITY, o, "17");
        refused(vector, k, x -> Arrays.fill(x, 2000 * k, 2001 * k, Float.NEGATIVE_INFINITY), o, "2000");
        // Every value finite, but 40 / 1e-37 overflows float32: refused as the row check refuses it.
        refused(vector, k, x -> x[1234 * k] = 40f, o.toBuilder().temperature(1e-37f).build(), "1234");
    }

    @ParameterizedTest(name = "vector {0}, K = {1}")
    @MethodSource("cases")
    void smoothedBatchesPassAndRefuseAsWell(boolean vector, int k) {
        XentOptions o = opts(NonFinitePolicy.REFUSE).toBuilder().labelSmoothing(0.1f).build();
        passesAsPropagate(vector, k, logits(k), o, o.toBuilder().nonFinite(NonFinitePolicy.PROPAGATE).build(), false);
        refused(vector, k, x -> x[2500 * k + k / 2] = Float.NaN, o, "2500", "NaN");
    }

    /**
     * Which passes have no use for maxima kept by the check, so that it keeps none for them: the
     * vector passes that read each row's max during the row before, and the lane tiles (small K),
     * which take their rows' maxima themselves.
     */
    @org.junit.jupiter.api.Test
    void onlyPipelinedVectorPassesAndLaneTilesGoWithoutKeptMaxima() {
        VectorKernels v = new VectorKernels();
        ScalarKernels sc = new ScalarKernels();
        XentOptions plain = opts(NonFinitePolicy.REFUSE);
        XentOptions smooth = plain.toBuilder().labelSmoothing(0.1f).build();
        for (int k : new int[] {64, 1000, 40000}) {
            assertThat(v.readsMaximaAhead(spec(k, plain))).as("vector, K = %d", k).isTrue();
            assertThat(v.readsMaximaAhead(spec(k, smooth))).as("vector, smoothing, K = %d", k).isEqualTo(k < VectorKernels.XENT_LANES_K);
            assertThat(v.readsMaximaAhead(k)).as("vector softmax, K = %d", k).isTrue();
            assertThat(sc.readsMaximaAhead(spec(k, plain))).as("scalar, K = %d", k).isFalse();
            assertThat(sc.readsMaximaAhead(k)).as("scalar softmax, K = %d", k).isFalse();
        }
        XentOptions stats = plain.toBuilder().rowStats(true).build();
        for (int k : new int[] {10, VectorKernels.XENT_LANES_K - 1}) {
            assertThat(v.readsMaximaAhead(spec(k, plain))).as("vector, K = %d (lanes on rows)", k).isTrue();
            assertThat(v.readsMaximaAhead(spec(k, stats))).as("vector, statistics, K = %d (lanes on rows)", k).isTrue();
        }
        assertThat(v.readsMaximaAhead(spec(VectorKernels.XENT_LANES_K - 1, smooth))).as("smoothing on lanes").isTrue();
        assertThat(v.readsMaximaAhead(spec(VectorKernels.XENT_LANES_K, stats))).as("statistics on rows").isFalse();
        assertThat(sc.readsMaximaAhead(spec(10, plain))).as("scalar, K = 10").isFalse();
    }

    private static XentSpec spec(int k, XentOptions o) {
        int[] t = new int[4];
        return new XentSpec(org.softmaxcl.backend.Checks.xent(FloatMatrix.of(new float[4 * k], 4, k), Targets.hard(t), o, null), null);
    }

    @ParameterizedTest(name = "vector {0}, K = {1}")
    @MethodSource("cases")
    void maxAbsBitsMatchesTheScalarDefinition(boolean vector, int k) {
        CpuKernels kernels = vector ? new VectorKernels() : new ScalarKernels();
        float[] x = logits(k);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.MIN_VALUE, Float.intBitsToFloat(0xFFC00001)};
        Random rnd = new Random(k);
        for (int trial = 0; trial < 200; trial++) {
            float[] a = x.clone();
            int off = rnd.nextInt(40);
            int len = rnd.nextInt(3 * k + 40);
            if (trial % 2 == 1 && len > 0) {
                a[off + rnd.nextInt(len)] = specials[trial % specials.length];
            }
            int expect = 0;
            for (int j = off; j < off + len; j++) {
                expect = Math.max(expect, Float.floatToRawIntBits(a[j]) & 0x7FFFFFFF);
            }
            assertThat(kernels.maxAbsBits(a, off, len)).as("trial %d, [%d, %d)", trial, off, off + len).isEqualTo(expect);
        }
    }

    /** rowMax (the check's per-row look, integer keys on the vector path) is Math.max's, bit for bit. */
    @ParameterizedTest(name = "vector {0}, K = {1}")
    @MethodSource("cases")
    void rowMaxIsMathMax(boolean vector, int k) {
        CpuKernels kernels = vector ? new VectorKernels() : new ScalarKernels();
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -Float.MAX_VALUE,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.intBitsToFloat(0xFFC00001)};
        Random rnd = new Random(31 * k);
        for (int trial = 0; trial < 300; trial++) {
            int len = 1 + rnd.nextInt(3 * k + 40);
            float[] a = new float[len + 8];
            for (int j = 0; j < a.length; j++) {
                // Mostly negative values and zeros of both signs, so that −0 against +0 and −∞ decide.
                a[j] = trial % 3 == 0 ? -rnd.nextFloat() * 10 : (trial % 3 == 1 ? (rnd.nextBoolean() ? -0f : -1f) : 0f);
            }
            int off = rnd.nextInt(8);
            for (int s = 0; s < trial % 4; s++) {
                a[off + rnd.nextInt(len)] = specials[rnd.nextInt(specials.length)];
            }
            float expect = Float.NEGATIVE_INFINITY;
            for (int j = off; j < off + len; j++) {
                expect = Math.max(expect, a[j]);
            }
            float got = kernels.rowMax(a, off, len);
            assertThat(Float.floatToIntBits(got)).as("trial %d: %s vs %s", trial, got, expect)
                    .isEqualTo(Float.floatToIntBits(expect));
        }
    }
}
