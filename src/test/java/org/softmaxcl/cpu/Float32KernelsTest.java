package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.IntToDoubleFunction;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.RowOutputs;

/**
 * {@link Float32Kernels}' row ranges against its single rows: for small K ({@link
 * Float32Kernels#grouped}) a range runs pass 2 over several rows at once, and must give the bits
 * that row-by-row calls give, dense and strided, in place, with per-row temperatures and the rows
 * that take other branches (an ignored target, a subnormal e, a −∞ mask, ties of the max, a NaN
 * row and a +∞ row, which go to the reference kernels), over ranges that end inside a group.
 * The engine-level suites run the same kernels against the float64 reference ({@code CPU_FLOAT32}).
 */
class Float32KernelsTest {
    /** Two groups and a ragged end at K = 10, one partial group at K = 1, many groups at K ≥ 64. */
    private static final int N = 2 * Float32Kernels.CHUNK / 8 + 7;

    private static float[] logits(int n, int ld, int k, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * ld];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 4);
        }
        for (int i = 0; i < n; i++) {
            int o = i * ld;
            switch (i % 9) {
                case 1 -> x[o + k - 1] = k > 1 ? -200f : x[o + k - 1];                 // e underflows
                case 2 -> x[o + k - 1] = k > 1 ? Float.NEGATIVE_INFINITY : x[o];      // a mask
                case 3 -> {                                                           // ties of the max
                    x[o] = 50f;
                    x[o + k - 1] = 50f;
                }
                case 4 -> x[o + k / 2] = -86f + x[o];                                 // near the fast exp's edge
                case 5 -> x[o + k / 3] = Float.NaN;                                   // a NaN row: the reference
                case 7 -> x[o + k - 1] = Float.POSITIVE_INFINITY;                     // a +∞ max: the reference
                default -> { }
            }
        }
        return x;
    }

    private static float[] temperatures(int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = 0.5f + (i % 5) * 0.37f;
        }
        return t;
    }

    private static int[] targets(int n, int k) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 11 == 6 ? -100 : (i * 37) % k;
        }
        return t;
    }

    /**
     * The options whose rows a range may group: none, smoothing with class weights, statistics,
     * soft targets, a soft-cap with statistics at one temperature (grouped) and with per-row ones
     * (row by row).
     */
    private static final String[] OPTIONS = {"plain", "smooth", "stats", "soft", "softcap", "softcapRowT"};

    private static Stream<Arguments> xentCases() {
        int[] ks = {1, 2, 3, 10, 33, 64, Float32Kernels.GROUP_MAX_K, Float32Kernels.GROUP_MAX_K + 1};
        return Stream.of(OPTIONS).flatMap(o -> IntStream.of(ks).mapToObj(k -> Arguments.of(o, k)));
    }

    private static float[] softTargets(int n, int ld, int k, long seed) {
        Random rnd = new Random(seed);
        float[] y = new float[n * ld];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                y[i * ld + j] = j % 4 == 1 ? 0f : rnd.nextFloat();
                sum += y[i * ld + j];
            }
            for (int j = 0; j < k; j++) {
                y[i * ld + j] = sum > 0 ? (float) (y[i * ld + j] / sum) : 1f / k;
            }
        }
        return y;
    }

    @ParameterizedTest(name = "{0}, K = {1}")
    @MethodSource("xentCases")
    void crossEntropyRangesGiveTheBitsOfSingleRows(String option, int k) {
        Float32Kernels kernels = new Float32Kernels();
        boolean soft = option.equals("soft");
        float[] w = new float[k];
        for (int j = 0; j < k; j++) {
            w[j] = 0.5f + (j % 3);
        }
        XentOptions.Builder b = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE);
        if (!option.equals("softcap")) {
            b.rowTemperatures(temperatures(N));
        }
        switch (option) {
            case "smooth" -> b.labelSmoothing(0.1f).classWeights(w).ignoreIndex(-100);
            case "stats" -> b.rowStats(true).ignoreIndex(-100);
            case "soft" -> b.labelSmoothing(0.05f);
            case "softcap" -> b.temperature(0.7f).softcap(4f).rowStats(true).ignoreIndex(-100);
            case "softcapRowT" -> b.softcap(4f).ignoreIndex(-100);
            default -> b.ignoreIndex(-100);
        }
        XentOptions opts = b.build();
        boolean stats = opts.rowStats();
        assertThat(Float32Kernels.grouped(k)).isEqualTo(k <= Float32Kernels.GROUP_MAX_K);
        for (int ld : new int[] {k, k + 3}) {
            float[] x = logits(N, ld, k, 31L * k + ld);
            float[] y = soft ? softTargets(N, ld, k, k + ld) : null;
            Targets targets = soft ? Targets.soft(FloatMatrix.of(y, 0, N, k, ld)) : Targets.hard(targets(N, k));
            XentSpec s = new XentSpec(Checks.xent(FloatMatrix.of(new float[N * k], N, k), targets, opts, null), null);
            float[] expectG = new float[N * ld];
            RowOutputs expect = new RowOutputs(N, stats);
            for (int i = 0; i < N; i++) {
                kernels.xentRow(s, i, x, i * ld, y, i * ld, expectG, i * ld, expect);
            }
            // two ranges, the first ending inside a group; out of place, then in place
            for (boolean inPlace : new boolean[] {false, true}) {
                float[] xs = x.clone();
                float[] g = inPlace ? xs : new float[N * ld];
                RowOutputs out = new RowOutputs(N, stats);
                int cut = N / 2 + 1;
                kernels.xentRows(s, 0, cut, xs, 0, ld, y, 0, ld, g, 0, ld, out, Float.NaN, -1);
                kernels.xentRows(s, cut, N, xs, 0, ld, y, 0, ld, g, 0, ld, out, Float.NaN, -1);
                String what = option + ", K = " + k + ", ld = " + ld + (inPlace ? ", in place" : "");
                assertThat(bits(out.ce)).as("loss, " + what).containsExactly(bits(expect.ce));
                assertThat(bits(out.lse)).as("lse, " + what).containsExactly(bits(expect.lse));
                if (stats) {
                    assertThat(bits(out.entropy)).as("entropy, " + what).containsExactly(bits(expect.entropy));
                    assertThat(bits(out.targetProb)).as("target p, " + what).containsExactly(bits(expect.targetProb));
                    assertThat(bits(out.max)).as("max, " + what).containsExactly(bits(expect.max));
                    assertThat(out.argmax).as("argmax, " + what).containsExactly(expect.argmax);
                    assertThat(out.hit).as("hit, " + what).containsExactly(expect.hit);
                }
                for (int i = 0; i < N; i++) {
                    for (int j = 0; j < k; j++) {
                        assertThat(Float.floatToIntBits(g[i * ld + j])).as("grad (%d, %d), %s", i, j, what)
                                .isEqualTo(Float.floatToIntBits(expectG[i * ld + j]));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {1, 2, 5, 10, 64, Float32Kernels.GROUP_MAX_K, Float32Kernels.GROUP_MAX_K + 1})
    void softmaxRangesGiveTheBitsOfSingleRows(int k) {
        Float32Kernels kernels = new Float32Kernels();
        float[] temps = temperatures(N);
        IntToDoubleFunction temperature = i -> temps[i];
        for (boolean log : new boolean[] {false, true}) {
            for (int ld : new int[] {k, k + 2}) {
                float[] x = logits(N, ld, k, 17L * k + ld);
                float[] expect = new float[N * ld];
                for (int i = 0; i < N; i++) {
                    kernels.softmaxRow(x, i * ld, expect, i * ld, k, temps[i], log);
                }
                for (boolean inPlace : new boolean[] {false, true}) {
                    float[] xs = x.clone();
                    float[] out = inPlace ? xs : new float[N * ld];
                    int cut = N / 3 + 1;
                    kernels.softmaxRows(0, cut, xs, 0, ld, out, 0, ld, k, temperature, log, null, Float.NaN, -1);
                    kernels.softmaxRows(cut, N, xs, 0, ld, out, 0, ld, k, temperature, log, null, Float.NaN, -1);
                    for (int i = 0; i < N; i++) {
                        for (int j = 0; j < k; j++) {
                            assertThat(Float.floatToIntBits(out[i * ld + j]))
                                    .as("%s (%d, %d), K = %d, ld = %d%s", log ? "log-softmax" : "softmax", i, j, k, ld,
                                            inPlace ? ", in place" : "")
                                    .isEqualTo(Float.floatToIntBits(expect[i * ld + j]));
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link Float32Kernels#rowMax} (a compare and branch per element) against a fold of
     * {@link Math#max}: NaN anywhere, zeros of both signs in either order, ±∞, all −∞, empty.
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {0, 1, 2, 3, 7, 64, Float32Kernels.BRANCH_MAX_K - 1, Float32Kernels.BRANCH_MAX_K, 1000})
    void rowMaxIsMathMaxFolded(int k) {
        Float32Kernels kernels = new Float32Kernels();
        Random rnd = new Random(k);
        float[] specials = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 1f,
            Float.intBitsToFloat(0xFFC00001)};
        for (int c = 0; c < 400; c++) {
            float[] x = new float[k + 2];
            for (int j = 0; j < x.length; j++) {
                x[j] = switch (c % 4) {
                    case 0 -> (float) rnd.nextGaussian();
                    case 1 -> -Math.abs((float) rnd.nextGaussian());          // zeros below become the max
                    case 2 -> Float.NEGATIVE_INFINITY;
                    default -> (float) rnd.nextGaussian() * 100;
                };
            }
            for (int h = rnd.nextInt(3); h > 0 && k > 0; h--) {
                x[1 + rnd.nextInt(k)] = specials[rnd.nextInt(specials.length)];
            }
            float expect = Float.NEGATIVE_INFINITY;
            for (int j = 1; j <= k; j++) {
                expect = Math.max(expect, x[j]);
            }
            assertThat(Float.floatToIntBits(kernels.rowMax(x, 1, k))).as("case %d, K = %d", c, k)
                    .isEqualTo(Float.floatToIntBits(expect));
        }
    }

    /**
     * {@link Float32Kernels#capRow} (the soft-cap in three loops, two vectorized by C2) against
     * z = c·tanh(x·invT/c) and dz = (1 − tanh)(1 + tanh)·invT element by element on
     * {@link FloatExp#tanh} (whose bits are a vector lane's, {@code VectorTanhTest}): logits on
     * both sides of the series' range, beyond the clamp, ±0, ±∞ and NaN.
     */
    @ParameterizedTest(name = "K = {0}")
    @ValueSource(ints = {1, 7, 10, 1000})
    void softcapRowIsTanhElementByElement(int k) {
        Random rnd = new Random(k);
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 15f, -15.000001f, 400f};
        for (float c : new float[] {30f, 1.5f}) {
            for (float invT : new float[] {1f, 0.37f}) {
                float[] x = new float[k];
                for (int j = 0; j < k; j++) {
                    x[j] = j % 5 == 4 ? specials[(j / 5) % specials.length] : (float) (rnd.nextGaussian() * 20);
                }
                float[] z = x.clone();
                float[] dz = new float[k];
                Float32Kernels.capRow(z, dz, k, invT, c);
                for (int j = 0; j < k; j++) {
                    float th = FloatExp.tanh(x[j] * invT * (1f / c));
                    assertThat(Float.floatToRawIntBits(z[j])).as("z at x = %s, c = %s, 1/T = %s", x[j], c, invT)
                            .isEqualTo(Float.floatToRawIntBits(th * c));
                    assertThat(Float.floatToRawIntBits(dz[j])).as("dz at x = %s, c = %s, 1/T = %s", x[j], c, invT)
                            .isEqualTo(Float.floatToRawIntBits((1f - th) * (th + 1f) * invT));
                }
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToIntBits(v[i]);
        }
        return b;
    }
}
