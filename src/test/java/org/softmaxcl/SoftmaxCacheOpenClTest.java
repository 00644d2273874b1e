package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.reference.Reference64;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.SystemProperties;
import org.softmaxcl.testing.Views;

/**
 * V2's softmax forward with its row in registers, in the lean form ({@code ROW_CACHE} with
 * {@code LEAN} in {@code softmax.cl}; opt-in, {@code softmaxcl.opencl.softmaxCache=true}): softmax
 * and log-softmax, one temperature or one per row, against the float64 reference, the bound each
 * element's float32 rounding allows (the uncached form is held to the same bound), with rows of
 * ties, −∞ masks, a 1e4 spread, and NaN, +∞ and all −∞ rows that must come out NaN (PROPAGATE) or
 * be refused as the uncached form refuses them, with the output untouched. In place, the same
 * bits. Rows up to 1024 floats are cached under v2:32; K = 4099 checks the uncached fallback.
 */
@Tag("opencl")
class SoftmaxCacheOpenClTest {
    private static final int N = 9;

    static Stream<Arguments> cases() {
        return Stream.of(1, 3, 7, 100, 128, 1000, 1024, 4099).flatMap(k -> Stream.of(false, true)
                .flatMap(log -> Stream.of(false, true).map(rowTemps -> Arguments.of(k, log, rowTemps))));
    }

    private static <T> T cached(boolean on, Supplier<T> run) {
        return SystemProperties.with("softmaxcl.opencl.softmaxCache", Boolean.toString(on), run);
    }

    /** Logits with one row of each kind: random, ties, −∞ masks, 1e4 spread, random, NaN, +∞, all −∞, random. */
    static float[] logits(int k) {
        Data d = new Data(4242L + k);
        float[] x = d.logits(N, k, 3);
        Arrays.fill(x, k, 2 * k, 2.5f);
        for (int j = 0; j < k; j += 3) {
            x[2 * k + j] = Float.NEGATIVE_INFINITY;
        }
        x[2 * k + k - 1] = 1f;
        for (int j = 0; j < k; j++) {
            x[3 * k + j] = (float) d.uniform(-1e4, 1e4);
        }
        x[5 * k + k / 2] = Float.NaN;
        x[6 * k + k - 1] = Float.POSITIVE_INFINITY;
        Arrays.fill(x, 7 * k, 8 * k, Float.NEGATIVE_INFINITY);
        return x;
    }

    @ParameterizedTest(name = "K={0} log={1} rowTemps={2}")
    @MethodSource("cases")
    void meetsTheReferenceAndRefusesWhatTheUncachedFormRefuses(int k, boolean log, boolean rowTemps) {
        float[] x = logits(k);
        float[] temps = new float[N];
        for (int i = 0; i < N; i++) {
            temps[i] = rowTemps ? 0.5f + 0.25f * i : 0.7f;
        }
        SoftmaxOptions o = (rowTemps ? SoftmaxOptions.DEFAULTS.withRowTemperatures(temps) : SoftmaxOptions.temperature(0.7f))
                .withNonFinite(NonFinitePolicy.PROPAGATE);
        double[] ref = Reference64.softmax(Data.d(x), N, k, Data.d(temps), log);
        double[] atol = bounds(x, temps, ref, k, log);
        Views view = Views.values()[Math.floorMod(k + (log ? 1 : 0), Views.values().length)];
        Engine e = Backends.OPENCL_V2.engine();
        for (boolean on : new boolean[] {false, true}) {
            String what = "v2:32 " + (on ? "cached" : "uncached") + " K=" + k + (log ? " log" : "") + (rowTemps ? " row temps" : "") + " " + view;
            float[] out = cached(on, () -> run(e, view.of(x, N, k), view.filled(N, k, Float.NaN), o, log));
            Compare.check(what, ref, Data.d(out), atol, 2e-6);
            FloatMatrix both = view.of(x, N, k);
            float[] inPlace = cached(on, () -> run(e, both, both, o, log));
            Compare.assertSameBits(what + " in place", out, inPlace);

            SoftmaxOptions refuse = o.withNonFinite(NonFinitePolicy.REFUSE);
            float[] kept = new float[N * k];
            Arrays.fill(kept, 3f);
            Throwable err = cached(on, () -> catchThrowable(() -> run(e, view.of(x, N, k), FloatMatrix.of(kept, N, k), refuse, log)));
            assertThat(err).as(what + " refuses").isNotNull().hasMessageStartingWith("logits[5, ");
            assertThat(kept).as(what + " output untouched when refused").containsOnly(3f);
        }
    }

    private static float[] run(Engine e, FloatMatrix x, FloatMatrix out, SoftmaxOptions o, boolean log) {
        if (log) {
            e.logSoftmax(x, out, o);
        } else {
            e.softmax(x, out, o);
        }
        return out.toArray();
    }

    /**
     * Per element, what float32 arithmetic may miss by besides the relative tolerance: z = x/T and
     * the max carry a few roundings of their size, which log-softmax keeps as an absolute error
     * and softmax as a relative one of p; plus the smallest normal float for underflow.
     */
    private static double[] bounds(float[] x, float[] temps, double[] ref, int k, boolean log) {
        double[] atol = new double[ref.length];
        for (int i = 0; i < N; i++) {
            double m = 0;
            for (int j = 0; j < k; j++) {
                if (Float.isFinite(x[i * k + j])) {
                    m = Math.max(m, Math.abs(x[i * k + j] / temps[i]));
                }
            }
            for (int j = 0; j < k; j++) {
                double z = Float.isFinite(x[i * k + j]) ? Math.abs(x[i * k + j] / temps[i]) : 0;
                double zErr = 4e-7 * (z + m + 1);
                atol[i * k + j] = (log ? zErr : zErr * Math.abs(ref[i * k + j])) + Float.MIN_NORMAL;
            }
        }
        return atol;
    }
}
