package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Views;

/**
 * Bad input gets an {@link IllegalArgumentException} whose message names the argument, the row and
 * the value, and nothing of the caller's is written: the output (filled with a sentinel pattern
 * first) is the same bit for bit, padding included, and so are the inputs. Each case runs on an
 * array view with padding and on a direct buffer, out of place and (where it applies) in place.
 */
abstract class BadInput extends BackendTest {
    static final int N = 6;
    static final int K = 17;

    /** A sentinel pattern: distinct finite values whose bits are easy to spot. */
    static float[] sentinel(int size) {
        float[] s = new float[size];
        for (int i = 0; i < size; i++) {
            s[i] = Float.intBitsToFloat(0x5A5A0000 | i);
        }
        return s;
    }

    /** The inputs of one call, which a case spoils before calling. */
    static final class Call {
        float[] x = new Data(17).logits(N, K, 2);
        int[] hard = new Data(18).targets(N, K, 0, -100);
        float[] soft;
        int gradRows = N;
        int gradCols = K;
        XentOptions.Builder opts = XentOptions.builder();
    }

    /** A named way to spoil a call, and what the message must name. */
    record Bad(String name, java.util.function.Consumer<Call> spoil, List<String> mustName) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Bad bad(String name, java.util.function.Consumer<Call> spoil, String... mustName) {
        return new Bad(name, spoil, List.of(mustName));
    }

    static List<Bad> badCalls() {
        List<Bad> b = new ArrayList<>();
        b.add(bad("grad has another shape", c -> c.gradCols = K - 1, "grad", N + "x" + (K - 1), N + "x" + K));
        b.add(bad("grad has another row count", c -> c.gradRows = N - 1, "grad", (N - 1) + "x" + K));
        b.add(bad("fewer targets than rows", c -> c.hard = Arrays.copyOf(c.hard, N - 1), "targets", String.valueOf(N - 1)));
        b.add(bad("target = K", c -> c.hard[3] = K, "targets[3] = " + K));
        b.add(bad("negative target", c -> c.hard[4] = -3, "targets[4] = -3"));
        b.add(bad("NaN logit in the last row", c -> c.x[(N - 1) * K + 2] = Float.NaN, "logits", "[5, 2]", "NaN"));
        b.add(bad("+inf logit", c -> c.x[2 * K + 7] = Float.POSITIVE_INFINITY, "logits", "[2, 7]", "Infinity"));
        b.add(bad("NaN logit in an ignored row", c -> {
            c.hard[1] = -100;
            c.x[K] = Float.NaN;
        }, "logits", "[1, 0]", "NaN"));
        b.add(bad("counted row of only -inf", c -> Arrays.fill(c.x, 4 * K, 5 * K, Float.NEGATIVE_INFINITY),
                "logits", "row 4", "-Infinity"));
        b.add(bad("negative soft target", c -> soft(c)[2 * K + 3] = -0.5f, "targets[2, 3] = -0.5"));
        b.add(bad("NaN soft target in the last row", c -> soft(c)[5 * K] = Float.NaN, "targets[5, 0] = NaN"));
        b.add(bad("+inf soft target", c -> soft(c)[K + 1] = Float.POSITIVE_INFINITY, "targets[1, 1] = Infinity"));
        b.add(bad("classWeights of length K+1", c -> c.opts.classWeights(new float[K + 1]), "classWeights",
                String.valueOf(K + 1), String.valueOf(K)));
        b.add(bad("rowTemperatures of length N-1", c -> c.opts.rowTemperatures(filled(N - 1, 1f)), "rowTemperatures",
                String.valueOf(N - 1)));
        b.add(bad("sampleWeights of length N+1", c -> c.opts.sampleWeights(filled(N + 1, 1f)), "sampleWeights",
                String.valueOf(N + 1)));
        b.add(bad("rowGradScales of length 1", c -> c.opts.rowGradScales(filled(1, 1f)), "rowGradScales", "1 values"));
        b.add(bad("every target ignored under THROW", c -> {
            Arrays.fill(c.hard, -100);
            c.opts.emptyMean(EmptyMeanPolicy.THROW);
        }, "emptyMean", "THROW"));
        return b;
    }

    private static float[] soft(Call c) {
        if (c.soft == null) {
            c.soft = new Data(19).softTargets(N, K);
            c.hard = null;
        }
        return c.soft;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    Stream<Arguments> cases() {
        return cross(badCalls());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void crossEntropyRefusesAndWritesNothing(Backends backend, Bad bad) {
        for (Views layout : new Views[] {Views.STRIDED, Views.DIRECT}) {
            Call c = new Call();
            bad.spoil().accept(c);
            FloatMatrix x = layout.of(c.x, N, K);
            Targets t = c.soft != null ? Targets.soft(layout.of(c.soft, N, K)) : Targets.hard(c.hard);
            XentOptions o = c.opts.build();
            FloatMatrix grad = layout.of(sentinel(c.gradRows * c.gradCols), c.gradRows, c.gradCols);
            float[] gradBefore = grad.toArray();
            String what = backend + " " + layout + " " + bad;

            Throwable e = catchThrowable(() -> backend.engine().crossEntropyWithGradient(x, t, o, grad));
            assertThat(e).as(what).isInstanceOf(IllegalArgumentException.class);
            for (String s : bad.mustName()) {
                assertThat(e.getMessage()).as(what + ": the message names " + s).contains(s);
            }
            Compare.assertSameBits(what + ": grad untouched", gradBefore, grad.toArray());
            assertThat(Views.paddingIntact(grad) && Views.paddingIntact(x)).as(what + ": padding untouched").isTrue();
            Compare.assertSameBits(what + ": logits untouched", c.x, x.toArray());

            // Loss only: the same refusal.
            Throwable e2 = catchThrowable(() -> backend.engine().crossEntropy(x, t, o));
            if (c.gradRows == N && c.gradCols == K) {
                assertThat(e2).as(what + " (loss only)").isInstanceOf(IllegalArgumentException.class);
            }

            // In place (gradient over the logits): the logits survive the refusal.
            if (c.gradRows == N && c.gradCols == K) {
                Throwable e3 = catchThrowable(() -> backend.engine().crossEntropyWithGradient(x, t, o, x));
                assertThat(e3).as(what + " (in place)").isInstanceOf(IllegalArgumentException.class);
                Compare.assertSameBits(what + ": logits untouched by the in-place call", c.x, x.toArray());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxRefusesAndWritesNothing(Backends backend) {
        Engine e = backend.engine();
        for (Views layout : new Views[] {Views.STRIDED, Views.DIRECT}) {
            float[] x = new Data(20).logits(N, K, 2);
            x[(N - 1) * K + 4] = Float.NaN;
            FloatMatrix in = layout.of(x, N, K);
            FloatMatrix out = layout.of(sentinel(N * K), N, K);
            float[] before = out.toArray();
            for (boolean log : new boolean[] {false, true}) {
                Throwable t = catchThrowable(() -> {
                    if (log) {
                        e.logSoftmax(in, out);
                    } else {
                        e.softmax(in, out);
                    }
                });
                assertThat(t).as("%s %s NaN logit", backend, layout).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("[5, 4]").hasMessageContaining("NaN");
                Compare.assertSameBits(backend + " softmax output untouched", before, out.toArray());
                Throwable inPlace = catchThrowable(() -> e.softmax(in, in));
                assertThat(inPlace).isInstanceOf(IllegalArgumentException.class);
                Compare.assertSameBits(backend + " softmax input untouched in place", x, in.toArray());
            }
            FloatMatrix narrow = layout.of(sentinel(N * (K - 1)), N, K - 1);
            assertThat(catchThrowable(() -> e.softmax(layout.of(new float[N * K], N, K), narrow)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out")
                    .hasMessageContaining(N + "x" + (K - 1));
            assertThat(catchThrowable(() -> e.softmax(layout.of(new float[N * K], N, K), layout.of(new float[N * K], N, K),
                    SoftmaxOptions.DEFAULTS.withRowTemperatures(filled(N + 2, 1f)))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rowTemperatures");
            assertThat(catchThrowable(() -> e.softmaxBackward(layout.of(new float[N * K], N, K),
                    layout.of(new float[N * K], N, K), narrow)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gradIn");
            Compare.assertSameBits(backend + " narrow output untouched", sentinel(N * (K - 1)), narrow.toArray());
        }
    }

    /** Output views that overlap an input without being the same view are refused. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void partiallyOverlappingViewsAreRefused(Backends backend) {
        float[] storage = new float[(N + 1) * K];
        float[] init = new Data(21).logits(N + 1, K, 1);
        System.arraycopy(init, 0, storage, 0, storage.length);
        FloatMatrix x = FloatMatrix.of(storage, 0, N, K, K);
        FloatMatrix shifted = FloatMatrix.of(storage, K, N, K, K);
        assertThat(catchThrowable(() -> backend.engine().crossEntropyWithGradient(x,
                Targets.hard(new int[N]), XentOptions.DEFAULTS, shifted)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThat(catchThrowable(() -> backend.engine().softmax(x, shifted)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        FloatMatrix y = FloatMatrix.of(new float[N * K], N, K);
        assertThat(catchThrowable(() -> backend.engine().crossEntropyWithGradient(FloatMatrix.of(new float[N * K], N, K),
                Targets.soft(y), XentOptions.DEFAULTS, y)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soft targets");
        Compare.assertSameBits("storage untouched", init, storage);
    }
}
