package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.opencl.OpenClBackend;
import org.softmaxcl.testing.Compare;

/**
 * V0v with several rows per work-item ({@code RPW} in {@code xent_vec.cl} and
 * {@code softmax_vec.cl}): a row's max is taken during the previous row's pass 2, so every row of
 * a work-item after its first skips a pass of its own. Whatever the rows per work-item, each row
 * must come out with the bits of one row per work-item: next to rows with NaN, ±∞, only −∞, −∞
 * masks, ±0 ties and ignored targets, under every option that changes the kernel (row
 * temperatures, soft-cap and statistics, where the rows are walked without the pipelined max),
 * with a last work-item that holds fewer rows, and in place.
 */
@Tag("opencl")
class RowsPerWorkItemOpenClTest {
    /** Pairs of layouts, one row per work-item and several, with the same vector width (the lanes' sums go by it). */
    private static final List<String[]> PAIRS = List.of(new String[] {"v0v:8:4", "v0v:8:2:5"},
            new String[] {"v0v:8:4", "v0v:8:1:16"}, new String[] {"v0v:4:4", "v0v:4:2:64"}, new String[] {"v0v:16:4", "v0v:16:4:3"});

    private static <T> T on(String layout, Function<Engine, T> body) {
        try (Engine e = Engine.over(OpenClBackend.open(null, layout, "test"))) {
            return body.apply(e);
        }
    }

    /** Rows of K logits, one in six ordinary and the others each with one kind of awkward value. */
    private static float[] logits(int n, int k, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * k];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            for (int j = 0; j < k; j++) {
                x[o + j] = (float) (3 * r.nextGaussian());
            }
            switch (i % 9) {
                case 1 -> x[o + r.nextInt(k)] = Float.NaN;
                case 2 -> x[o + r.nextInt(k)] = Float.POSITIVE_INFINITY;
                case 3 -> java.util.Arrays.fill(x, o, o + k, Float.NEGATIVE_INFINITY);
                case 4 -> {
                    for (int j = 0; j < k; j += 3) {
                        x[o + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                case 5 -> {
                    java.util.Arrays.fill(x, o, o + k, -0f);
                    x[o + k / 2] = 0f;
                }
                case 6 -> x[o + r.nextInt(k)] = 80f;
                default -> { }
            }
        }
        return x;
    }

    private static int[] targets(int n, int k, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 7 == 0 ? -100 : r.nextInt(k);
        }
        return t;
    }

    private static float[] rowTemperatures(int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = 0.5f + 0.25f * (i % 5);
        }
        return t;
    }

    static Stream<Arguments> xentCases() {
        XentOptions plain = XentOptions.builder().reduction(Reduction.NONE).nonFinite(NonFinitePolicy.PROPAGATE).build();
        return Stream.of(1, 9, 100, 1000).flatMap(k -> Stream.of(
                Arguments.of(k, "plain", plain),
                Arguments.of(k, "row temperatures, smoothing, weights", plain.toBuilder().rowTemperatures(rowTemperatures(37))
                        .labelSmoothing(0.1f).classWeights(weights(k)).build()),
                Arguments.of(k, "soft-cap", plain.toBuilder().softcap(5f).build()),
                Arguments.of(k, "statistics, z-loss", plain.toBuilder().rowStats(true).zLoss(1e-3f).build())));
    }

    private static float[] weights(int k) {
        float[] w = new float[k];
        for (int j = 0; j < k; j++) {
            w[j] = 0.5f + (j % 4) * 0.25f;
        }
        return w;
    }

    private record XentOut(float[] grad, float[] rowLosses, XentResult result) {
    }

    private static XentOut xent(Engine e, float[] x, int n, int k, int[] t, XentOptions o, boolean inPlace) {
        float[] in = x.clone();
        float[] g = inPlace ? in : new float[n * k];
        XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(in, n, k), Targets.hard(t), o, FloatMatrix.of(g, n, k));
        return new XentOut(g, r.rowLosses(), r);
    }

    @ParameterizedTest(name = "K={0} {1}")
    @MethodSource("xentCases")
    void crossEntropyGivesTheBitsOfOneRowPerWorkItem(int k, String name, XentOptions o) {
        int n = 37;
        float[] x = logits(n, k, 1000 + k);
        int[] t = targets(n, k, k);
        for (String[] pair : PAIRS) {
            XentOut one = on(pair[0], e -> xent(e, x, n, k, t, o, false));
            assertThat(one.rowLosses()[0]).as("an ordinary row has a finite loss").isFinite();
            for (boolean inPlace : new boolean[] {false, true}) {
                XentOut several = on(pair[1], e -> xent(e, x, n, k, t, o, inPlace));
                String what = pair[1] + " vs " + pair[0] + " K=" + k + " " + name + (inPlace ? " in place" : "");
                Compare.assertSameBits(what + " grad", one.grad(), several.grad());
                Compare.assertSameBits(what + " row losses", one.rowLosses(), several.rowLosses());
                Compare.assertSameStats(what, one.result().stats(), several.result().stats());
            }
        }
    }

    @Test
    void softmaxAndItsBackwardGiveTheBitsOfOneRowPerWorkItem() {
        int n = 41;
        for (int k : new int[] {1, 9, 100, 1000}) {
            float[] x = logits(n, k, 2000 + k);
            for (SoftmaxOptions o : new SoftmaxOptions[] {SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE),
                    SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE).withRowTemperatures(rowTemperatures(n))}) {
                for (String[] pair : PAIRS) {
                    float[][] one = on(pair[0], e -> softmaxes(e, x, n, k, o));
                    float[][] several = on(pair[1], e -> softmaxes(e, x, n, k, o));
                    String[] what = {"softmax", "log-softmax", "softmax backward", "log-softmax backward", "softmax in place"};
                    for (int q = 0; q < what.length; q++) {
                        Compare.assertSameBits(pair[1] + " vs " + pair[0] + " K=" + k + " " + what[q], one[q], several[q]);
                    }
                }
            }
        }
    }

    /** Softmax, log-softmax, both backwards (upstream gradient x itself) and softmax in place. */
    private static float[][] softmaxes(Engine e, float[] x, int n, int k, SoftmaxOptions o) {
        float[] p = new float[n * k];
        float[] lp = new float[n * k];
        e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k), o);
        e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(lp, n, k), o);
        float[] up = x.clone();
        for (int i = 0; i < up.length; i++) {
            up[i] = Float.isFinite(up[i]) ? up[i] * 0.1f : 1f;
        }
        float[] pn = p.clone();
        float[] lpn = lp.clone();
        for (int i = 0; i < pn.length; i++) {
            pn[i] = Float.isFinite(pn[i]) ? pn[i] : 0.5f;
            lpn[i] = Float.isFinite(lpn[i]) ? lpn[i] : -1f;
        }
        float[] dp = new float[n * k];
        float[] dlp = new float[n * k];
        e.softmaxBackward(FloatMatrix.of(pn, n, k), FloatMatrix.of(up, n, k), FloatMatrix.of(dp, n, k));
        e.logSoftmaxBackward(FloatMatrix.of(lpn, n, k), FloatMatrix.of(up, n, k), FloatMatrix.of(dlp, n, k));
        float[] inPlace = x.clone();
        e.softmax(FloatMatrix.of(inPlace, n, k), FloatMatrix.of(inPlace, n, k), o);
        return new float[][] {p, lp, dp, dlp, inPlace};
    }
}
