package org.softmaxcl.backend;

import java.util.Objects;

import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Reduction;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * Argument checks shared by every backend: each throws {@link IllegalArgumentException} whose
 * message names the argument, the row and the value, before anything is written. Internal.
 */
public final class Checks {
    private Checks() {
    }

    /** Checks a softmax call and returns it as a task. */
    public static SoftmaxTask softmax(FloatMatrix in, FloatMatrix out, boolean log, SoftmaxOptions opts) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(opts, "options");
        sameShape("out", out, "in", in);
        writable("out", out);
        disjointOrSame("out", out, "in", in);
        perRow("rowTemperatures", opts.hasRowTemperatures() ? opts.rowTemperatures().length : -1, in.rows());
        return new SoftmaxTask(in, out, log, opts);
    }

    /** Checks a backward call and returns it as a task. */
    public static BackwardTask backward(FloatMatrix y, FloatMatrix g, FloatMatrix dx, boolean log) {
        String yName = log ? "logProbs" : "probs";
        Objects.requireNonNull(y, yName);
        Objects.requireNonNull(g, "gradOut");
        Objects.requireNonNull(dx, "gradIn");
        sameShape("gradOut", g, yName, y);
        sameShape("gradIn", dx, yName, y);
        writable("gradIn", dx);
        disjointOrSame("gradIn", dx, "gradOut", g);
        disjointOrSame("gradIn", dx, yName, y);
        return new BackwardTask(y, g, dx, log);
    }

    /**
     * Checks a cross-entropy call (shapes, every target, option lengths, the empty-mean policy) and
     * computes the reduction constants.
     */
    public static XentTask xent(FloatMatrix logits, Targets targets, XentOptions opts, FloatMatrix grad) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(opts, "options");
        int n = logits.rows();
        int k = logits.cols();
        if (grad != null) {
            sameShape("grad", grad, "logits", logits);
            writable("grad", grad);
            disjointOrSame("grad", grad, "logits", logits);
        }
        if (targets.rows() != n) {
            throw new IllegalArgumentException("targets: " + targets.rows() + " rows, but logits has " + n);
        }
        perRow("rowTemperatures", opts.hasRowTemperatures() ? opts.rowTemperatures().length : -1, n);
        perRow("sampleWeights", opts.hasSampleWeights() ? opts.sampleWeights().length : -1, n);
        perRow("rowGradScales", opts.hasRowGradScales() ? opts.rowGradScales().length : -1, n);
        if (opts.hasClassWeights() && opts.classWeights().length != k) {
            throw new IllegalArgumentException("classWeights: " + opts.classWeights().length
                    + " values, but logits has K = " + k + " classes");
        }
        double w = opts.classWeightSum(k);
        int counted = 0;
        double dce = 0;
        double dz = 0;
        if (targets.isHard()) {
            int[] t = targets.classes();
            int ignore = opts.ignoreIndex();
            // Unweighted, each counted row adds 1 to both sums: the count, exact in float64 (the
            // same values as the weighted loop's, without its two chains of dependent additions).
            boolean unweighted = !opts.hasSampleWeights() && !opts.hasClassWeights();
            // First a vectorized look: when every target is a class and the ignore index is not one
            // (the common case), every row counts and nothing is left to check row by row.
            boolean allCounted = unweighted && (ignore < 0 || ignore >= k) && allClasses(t, k);
            for (int i = 0; i < n && !allCounted; i++) {
                int ti = t[i];
                if (ti == ignore) {
                    continue;
                }
                if (ti < 0 || ti >= k) {
                    throw new IllegalArgumentException("targets[" + i + "] = " + ti + " is outside [0, " + k
                            + ") and is not the ignore index " + ignore);
                }
                counted++;
                if (!unweighted) {
                    double s = opts.sampleWeight(i);
                    dce += s * opts.classWeight(ti);
                    dz += s;
                }
            }
            if (unweighted) {
                counted = allCounted ? n : counted;
                dce = counted;
                dz = counted;
            }
        } else {
            FloatMatrix y = targets.distribution();
            sameShape("targets", y, "logits", logits);
            if (grad != null && y.overlaps(grad)) {
                throw new IllegalArgumentException("grad overlaps the soft targets' storage");
            }
            counted = n;
            if (opts.hasSampleWeights()) {
                for (int i = 0; i < n; i++) {
                    double s = opts.sampleWeight(i);
                    dce += s;
                    dz += s;
                }
            } else {
                dce = n;    // n ones, summed: exact
                dz = n;
            }
        }
        double ceScale = 1;
        double zScale = 1;
        double denominator = 1;
        if (opts.reduction() == Reduction.MEAN) {
            denominator = dce;
            if (dce == 0 && opts.emptyMean() == EmptyMeanPolicy.THROW) {
                throw new IllegalArgumentException("targets: mean over an empty set (" + counted + " counted rows of "
                        + n + ", weighted count 0) and emptyMean is THROW");
            }
            // An empty mean (denominator 0) is empty as a whole: its policy gives the loss, and the
            // gradient is zero, z-loss included.
            ceScale = dce > 0 ? 1 / dce : 0;
            zScale = dce > 0 && dz > 0 ? 1 / dz : 0;
        }
        return new XentTask(logits, targets, opts, grad, ceScale, zScale, w, counted, denominator);
    }

    /**
     * Whether every target is a class of [0, k): the sign bit of v | (k − 1 − v) is set exactly
     * when v is outside, and a loop of ORs is one the JIT turns into vector instructions (measured
     * at N = 262144: 0.07 ms, where a loop of Math.min and Math.max, not vectorized by C2 on JDK
     * 17, took 0.26 ms on the caller's thread before any kernel runs).
     */
    static boolean allClasses(int[] t, int k) {
        int bits = 0;
        for (int v : t) {
            bits |= v | (k - 1 - v);
        }
        return bits >= 0;
    }

    /**
     * Whether a row is refused under {@link org.softmaxcl.NonFinitePolicy#REFUSE}, from its largest
     * raw logit: NaN or +∞ anywhere (a NaN makes the kernels' max NaN), or, without a soft-cap,
     * a scaled max x·(1/T) that overflows float32 to +∞; for a counted row also a max of −∞, raw or
     * scaled (no class left). The scaled max is computed as the float kernels compute z (x times
     * the float32 1/T), so every backend draws the line at the same logit.
     *
     * @param rawMax      the row's largest logit (NaN when it holds a NaN)
     * @param temperature the row's temperature T
     * @param softcap     true when a soft-cap bounds z (it cannot overflow then)
     * @param counted     false for an ignored row (hard target = ignore index)
     */
    public static boolean refusedRow(float rawMax, float temperature, boolean softcap, boolean counted) {
        if (Float.isNaN(rawMax) || rawMax == Float.POSITIVE_INFINITY) {
            return true;
        }
        float zMax = softcap ? rawMax : rawMax * invT(temperature);
        return zMax == Float.POSITIVE_INFINITY || (counted && zMax == Float.NEGATIVE_INFINITY);
    }

    /** 1/T as the float kernels use it. */
    public static float invT(float temperature) {
        return (float) (1.0 / temperature);
    }

    /**
     * Describes what is wrong with row {@code row} of the logits, or returns null when it is fine:
     * NaN or +∞ anywhere, (for a counted row) every value −∞, or (without a soft-cap) a logit
     * whose scaled value x·(1/T) overflows float32 to +∞, or (counted) scaled values that are all −∞.
     */
    public static String badLogitRow(String name, FloatMatrix x, int row, boolean counted, float temperature,
                                     boolean softcap) {
        return badLogitRow(name, x, row, row, counted, temperature, softcap);
    }

    /**
     * As {@link #badLogitRow(String, FloatMatrix, int, boolean, float, boolean)} for row {@code at}
     * of {@code x}, named row {@code row} in the message (a row copied out of device memory).
     */
    public static String badLogitRow(String name, FloatMatrix x, int at, int row, boolean counted, float temperature,
                                     boolean softcap) {
        int k = x.cols();
        boolean anyAboveMinusInf = false;
        for (int j = 0; j < k; j++) {
            float v = x.get(at, j);
            if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
                return name + "[" + row + ", " + j + "] = " + v + ": NaN and +Infinity are refused "
                        + "(NonFinitePolicy.REFUSE); use PROPAGATE for PyTorch's behaviour";
            }
            anyAboveMinusInf |= v != Float.NEGATIVE_INFINITY;
        }
        if (counted && !anyAboveMinusInf) {
            return name + " row " + row + ": every one of its " + k + " values is -Infinity; a counted row needs "
                    + "at least one finite logit";
        }
        if (softcap) {
            return null;
        }
        float it = invT(temperature);
        boolean anyScaledAboveMinusInf = false;
        for (int j = 0; j < k; j++) {
            float v = x.get(at, j);
            float z = v * it;
            if (z == Float.POSITIVE_INFINITY) {
                return name + "[" + row + ", " + j + "] = " + v + ": scaled by 1/T (T = " + temperature
                        + ") it overflows float32 to +Infinity; use a larger temperature or a soft-cap";
            }
            anyScaledAboveMinusInf |= z != Float.NEGATIVE_INFINITY;
        }
        if (counted && !anyScaledAboveMinusInf) {
            return name + " row " + row + ": scaled by 1/T (T = " + temperature + ") every one of its " + k
                    + " values overflows float32 to -Infinity; a counted row needs at least one finite scaled logit";
        }
        return null;
    }

    /** {@link #badLogitRow(String, FloatMatrix, int, boolean, float, boolean)} at T = 1 without a soft-cap. */
    public static String badLogitRow(String name, FloatMatrix x, int row, boolean counted) {
        return badLogitRow(name, x, row, counted, 1f, false);
    }

    /** Describes what is wrong with row {@code row} of soft targets (a negative or non-finite value), or null. */
    public static String badSoftTargetRow(FloatMatrix y, int row) {
        for (int j = 0; j < y.cols(); j++) {
            float v = y.get(row, j);
            if (!(v >= 0f) || v == Float.POSITIVE_INFINITY) {
                return "targets[" + row + ", " + j + "] = " + v + ": soft targets must be finite and >= 0";
            }
        }
        return null;
    }

    static void sameShape(String aName, FloatMatrix a, String bName, FloatMatrix b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(aName + " is " + a.rows() + "x" + a.cols() + " but " + bName
                    + " is " + b.rows() + "x" + b.cols());
        }
    }

    /** An output must not be a read-only buffer (the OpenCL copy-back would write through it). */
    static void writable(String name, FloatMatrix m) {
        if (m.buffer() != null && m.buffer().isReadOnly()) {
            throw new IllegalArgumentException(name + ": a read-only buffer cannot receive results");
        }
    }

    static void disjointOrSame(String aName, FloatMatrix a, String bName, FloatMatrix b) {
        if (a.overlaps(b) && !a.sameViewAs(b)) {
            throw new IllegalArgumentException(aName + " overlaps " + bName
                    + " without being the same view (offset and stride): in-place use needs identical views");
        }
    }

    static void perRow(String name, int length, int rows) {
        if (length >= 0 && length != rows) {
            throw new IllegalArgumentException(name + ": " + length + " values, but there are N = " + rows + " rows");
        }
    }
}
