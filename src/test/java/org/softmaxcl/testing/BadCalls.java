package org.softmaxcl.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * The engine calls that must be refused, rows of the README's validation table that the bad-input
 * suite ({@code BadInput}: shapes, targets, soft targets, NaN/+∞ logits, −∞ rows, option lengths,
 * the empty mean, overlapping views of cross-entropy and softmax) leaves out: output row counts,
 * read-only and overlapping outputs of every method, backward shapes, +∞ and −∞ rows in softmax,
 * x/T overflow, the dense-array softmax's length, soft-target shapes and overlaps, ignore-index
 * corner cases, −∞ soft targets, an empty option array, a zero weighted count, null arguments.
 * Each names its method and argument, what is refused, the exception type and fragments of its
 * message (the argument, the row and the value). Each call is made in a {@link Scene} of N = 4
 * rows and K = 5 classes whose other arguments are valid, so the named argument is the only
 * reason to refuse.
 */
public final class BadCalls {
    public static final int N = 4;
    public static final int K = 5;

    private BadCalls() {
    }

    /** Sets up the arguments in a scene and returns the call. */
    public interface Setup {
        Consumer<Engine> prepare(Scene s);
    }

    /** One refused call. */
    public record BadCall(String method, String argument, String refused, Class<? extends RuntimeException> type,
                          List<String> message, Setup setup) {
        @Override
        public String toString() {
            return method + "(" + argument + "): " + refused;
        }
    }

    private static BadCall iae(String method, String argument, String refused, Setup setup, String... message) {
        return new BadCall(method, argument, refused, IllegalArgumentException.class, Arrays.asList(message), setup);
    }

    private static BadCall npe(String method, String argument, Setup setup) {
        return new BadCall(method, argument, "null", NullPointerException.class, List.of(argument), setup);
    }

    /** Every refused engine call (softmax, log-softmax, their backward passes, cross-entropy). */
    public static List<BadCall> all() {
        List<BadCall> c = new ArrayList<>();
        c.addAll(softmax());
        c.addAll(backward());
        c.addAll(xentShapes());
        c.addAll(xentValues());
        return c;
    }

    static List<BadCall> softmax() {
        List<BadCall> c = new ArrayList<>();
        c.add(iae("softmax", "out", "fewer rows than in", s -> {
            FloatMatrix in = s.logits(N, K);
            FloatMatrix out = s.output(N - 1, K);
            return e -> e.softmax(in, out);
        }, "out is 3x5 but in is 4x5"));
        c.add(iae("softmax", "out", "overlaps in (not the same view)", s -> {
            FloatMatrix[] v = s.overlapping(N, K);
            return e -> e.softmax(v[0], v[1]);
        }, "out overlaps in without being the same view"));
        c.add(iae("softmax", "out", "a read-only buffer", s -> {
            FloatMatrix in = s.logits(N, K);
            FloatMatrix out = s.readOnly(N, K);
            return e -> e.softmax(in, out);
        }, "out: a read-only buffer cannot receive results"));
        c.add(iae("logSoftmax", "in", "a +Infinity logit", logitAt(1, 4, Float.POSITIVE_INFINITY, true),
                "logits[1, 4] = Infinity"));
        c.add(iae("softmax", "in", "a row of only -Infinity", s -> {
            float[] x = s.data().logits(N, K, 2);
            Arrays.fill(x, 3 * K, 4 * K, Float.NEGATIVE_INFINITY);
            FloatMatrix in = s.matrix(x, N, K);
            FloatMatrix out = s.output(N, K);
            return e -> e.softmax(in, out);
        }, "logits row 3: every one of its 5 values is -Infinity"));
        c.add(iae("softmax", "in", "x/T overflows float32 (x = 3e38, T = 0.5)", s -> {
            float[] x = s.data().logits(N, K, 2);
            x[2 * K + 1] = 3e38f;
            FloatMatrix in = s.matrix(x, N, K);
            FloatMatrix out = s.output(N, K);
            return e -> e.softmax(in, out, SoftmaxOptions.temperature(0.5f));
        }, "logits[2, 1] = 3.0E38", "T = 0.5", "overflows float32"));
        c.add(iae("softmax(float[], rows, cols)", "logits", "length other than rows*cols", s -> {
            float[] x = s.track(new float[N * K + 1]);
            return e -> e.softmax(x, N, K);
        }, "logits: 21 values, but a dense 4x5 matrix has 20"));
        c.add(iae("softmax(float[], rows, cols)", "logits", "rows*cols above the array (65536 x 65536)", s -> {
            float[] x = s.track(new float[16]);
            return e -> e.softmax(x, 65536, 65536);
        }, "needs 4294967296 floats, but data.length is 16"));
        c.add(npe("softmax", "in", s -> {
            FloatMatrix out = s.output(N, K);
            return e -> e.softmax(null, out);
        }));
        c.add(npe("softmax", "out", s -> {
            FloatMatrix in = s.logits(N, K);
            return e -> e.softmax(in, null);
        }));
        c.add(npe("softmax", "options", s -> {
            FloatMatrix in = s.logits(N, K);
            FloatMatrix out = s.output(N, K);
            return e -> e.softmax(in, out, null);
        }));
        c.add(npe("softmax(float[], rows, cols)", "logits", s -> e -> e.softmax(null, N, K)));
        return c;
    }

    /** Softmax (or log-softmax) of logits holding {@code v} at (row, col). */
    private static Setup logitAt(int row, int col, float v, boolean log) {
        return s -> {
            float[] x = s.data().logits(N, K, 2);
            x[row * K + col] = v;
            FloatMatrix in = s.matrix(x, N, K);
            FloatMatrix out = s.output(N, K);
            return log ? e -> e.logSoftmax(in, out) : e -> e.softmax(in, out);
        };
    }

    static List<BadCall> backward() {
        List<BadCall> c = new ArrayList<>();
        c.add(iae("softmaxBackward", "gradOut", "another shape than probs", s -> {
            FloatMatrix y = s.logits(N, K);
            FloatMatrix g = s.logits(N, K + 1);
            FloatMatrix dx = s.output(N, K);
            return e -> e.softmaxBackward(y, g, dx);
        }, "gradOut is 4x6 but probs is 4x5"));
        c.add(iae("softmaxBackward", "gradIn", "overlaps gradOut (not the same view)", s -> {
            FloatMatrix y = s.logits(N, K);
            FloatMatrix[] v = s.overlapping(N, K);
            return e -> e.softmaxBackward(y, v[0], v[1]);
        }, "gradIn overlaps gradOut without being the same view"));
        c.add(iae("softmaxBackward", "gradIn", "overlaps probs", s -> {
            FloatMatrix[] v = s.overlapping(N, K);
            FloatMatrix g = s.logits(N, K);
            return e -> e.softmaxBackward(v[0], g, v[1]);
        }, "gradIn overlaps probs"));
        c.add(iae("logSoftmaxBackward", "gradIn", "a read-only buffer", s -> {
            FloatMatrix y = s.logits(N, K);
            FloatMatrix g = s.logits(N, K);
            FloatMatrix dx = s.readOnly(N, K);
            return e -> e.logSoftmaxBackward(y, g, dx);
        }, "gradIn: a read-only buffer cannot receive results"));
        c.add(npe("softmaxBackward", "probs", s -> {
            FloatMatrix g = s.logits(N, K);
            FloatMatrix dx = s.output(N, K);
            return e -> e.softmaxBackward(null, g, dx);
        }));
        c.add(npe("logSoftmaxBackward", "gradOut", s -> {
            FloatMatrix y = s.logits(N, K);
            FloatMatrix dx = s.output(N, K);
            return e -> e.logSoftmaxBackward(y, null, dx);
        }));
        c.add(npe("softmaxBackward", "gradIn", s -> {
            FloatMatrix y = s.logits(N, K);
            FloatMatrix g = s.logits(N, K);
            return e -> e.softmaxBackward(y, g, null);
        }));
        return c;
    }

    /** A cross-entropy call whose arguments a test adjusts. */
    private interface XentCall {
        Consumer<Engine> make(FloatMatrix x, Targets t, XentOptions o, FloatMatrix g);
    }

    private static final XentCall WITH_GRAD = (x, t, o, g) -> e -> e.crossEntropyWithGradient(x, t, o, g);

    /** crossEntropyWithGradient on valid hard targets, options from {@code b}, one logit set to {@code v}. */
    private static Setup hardCall(XentOptions.Builder b, int row, int col, float v) {
        return s -> {
            float[] x = s.data().logits(N, K, 2);
            if (row >= 0) {
                x[row * K + col] = v;
            }
            FloatMatrix xm = s.matrix(x, N, K);
            int[] t = s.targets(N, K);
            FloatMatrix g = s.output(N, K);
            return WITH_GRAD.make(xm, Targets.hard(t), b.build(), g);
        };
    }

    /** crossEntropyWithGradient on valid logits with the given hard targets and options. */
    private static Setup targetsCall(int[] targets, XentOptions.Builder b) {
        return s -> {
            FloatMatrix xm = s.logits(N, K);
            int[] t = s.track(targets.clone());
            FloatMatrix g = s.output(N, K);
            return WITH_GRAD.make(xm, Targets.hard(t), b.build(), g);
        };
    }

    /** crossEntropyWithGradient on soft targets holding {@code v} at (row, col). */
    private static Setup softCall(int row, int col, float v) {
        return s -> {
            FloatMatrix xm = s.logits(N, K);
            float[] y = s.data().softTargets(N, K);
            y[row * K + col] = v;
            FloatMatrix ym = s.matrix(y, N, K);
            FloatMatrix g = s.output(N, K);
            return WITH_GRAD.make(xm, Targets.soft(ym), XentOptions.DEFAULTS, g);
        };
    }

    static List<BadCall> xentShapes() {
        List<BadCall> c = new ArrayList<>();
        String m = "crossEntropyWithGradient";
        c.add(iae(m, "grad", "a read-only buffer", s -> {
            FloatMatrix x = s.logits(N, K);
            FloatMatrix g = s.readOnly(N, K);
            return WITH_GRAD.make(x, Targets.hard(s.targets(N, K)), XentOptions.DEFAULTS, g);
        }, "grad: a read-only buffer cannot receive results"));
        c.add(iae(m, "targets", "soft targets of another K", s -> {
            FloatMatrix x = s.logits(N, K);
            FloatMatrix y = s.softTargets(N, K + 1);
            FloatMatrix g = s.output(N, K);
            return WITH_GRAD.make(x, Targets.soft(y), XentOptions.DEFAULTS, g);
        }, "targets is 4x6 but logits is 4x5"));
        c.add(iae(m, "grad", "overlaps the soft targets", s -> {
            FloatMatrix x = s.logits(N, K);
            FloatMatrix[] v = s.overlapping(N, K);
            return WITH_GRAD.make(x, Targets.soft(v[0]), XentOptions.DEFAULTS, v[1]);
        }, "grad overlaps the soft targets' storage"));
        c.add(iae(m, "opts.classWeights", "an empty array", hardCall(XentOptions.builder().classWeights(new float[0]), -1, 0, 0),
                "classWeights: 0 values, but logits has K = 5 classes"));
        c.add(iae(m, "opts.rowTemperatures", "an empty array", hardCall(XentOptions.builder().rowTemperatures(new float[0]), -1, 0, 0),
                "rowTemperatures: 0 values, but there are N = 4 rows"));
        c.add(npe(m, "logits", s -> WITH_GRAD.make(null, Targets.hard(s.targets(N, K)), XentOptions.DEFAULTS, s.output(N, K))));
        c.add(npe(m, "targets", s -> WITH_GRAD.make(s.logits(N, K), null, XentOptions.DEFAULTS, s.output(N, K))));
        c.add(npe(m, "options", s -> WITH_GRAD.make(s.logits(N, K), Targets.hard(s.targets(N, K)), null, s.output(N, K))));
        c.add(npe(m, "grad", s -> WITH_GRAD.make(s.logits(N, K), Targets.hard(s.targets(N, K)), XentOptions.DEFAULTS, null)));
        return c;
    }

    static List<BadCall> xentValues() {
        List<BadCall> c = new ArrayList<>();
        String m = "crossEntropyWithGradient";
        int ignore = XentOptions.DEFAULT_IGNORE_INDEX;
        c.add(iae(m, "targets", "Integer.MIN_VALUE (ignore index moved to 7)", targetsCall(new int[] {0, 1, 7, Integer.MIN_VALUE},
                XentOptions.builder().ignoreIndex(7)), "targets[3] = -2147483648 is outside [0, 5) and is not the ignore index 7"));
        c.add(iae(m, "targets", "a -Infinity soft target", softCall(0, 1, Float.NEGATIVE_INFINITY), "targets[0, 1] = -Infinity"));
        c.add(iae(m, "logits", "x/T overflows float32 (x = 3e38, T = 0.5)",
                hardCall(XentOptions.builder().temperature(0.5f), 3, 2, 3e38f), "logits[3, 2] = 3.0E38", "T = 0.5"));
        c.add(iae(m, "logits", "a counted row whose x/T is all -Infinity (x = -3e38, T = 0.25)", s -> {
            float[] x = s.data().logits(N, K, 2);
            Arrays.fill(x, 2 * K, 3 * K, -3e38f);
            return WITH_GRAD.make(s.matrix(x, N, K), Targets.hard(s.targets(N, K)),
                    XentOptions.builder().rowTemperatures(new float[] {1, 1, 0.25f, 1}).build(), s.output(N, K));
        }, "logits row 2", "T = 0.25", "-Infinity"));
        c.add(iae(m, "targets", "mean whose weighted count is 0 under THROW", targetsCall(new int[] {1, 1, ignore, 1},
                XentOptions.builder().emptyMean(EmptyMeanPolicy.THROW).classWeights(new float[] {1, 0, 1, 1, 1})),
                "(3 counted rows of 4, weighted count 0) and emptyMean is THROW"));
        return c;
    }
}
