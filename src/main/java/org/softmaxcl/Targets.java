package org.softmaxcl;

import java.util.Objects;

/**
 * The targets of a cross-entropy call: either one class index per row ("hard") or one
 * distribution per row ("soft").
 *
 * <ul>
 *   <li>Hard: {@code int[N]}, each value in {@code [0, K)} or equal to the ignore index of the
 *       options (those rows give no loss and no gradient).</li>
 *   <li>Soft: an {@code N × K} matrix of values ≥ 0 and finite; a row need not sum to 1 (the loss
 *       is {@code −Σ_j w_j q_ij log p_ij}, and its gradient is exact for any row sum).</li>
 * </ul>
 * The arrays are not copied and never modified; they are checked when the call is made.
 */
public final class Targets {
    private final int[] classes;
    private final FloatMatrix distribution;

    private Targets(int[] classes, FloatMatrix distribution) {
        this.classes = classes;
        this.distribution = distribution;
    }

    /** Hard targets: {@code classes[i]} is the class of row i. Not modified. */
    public static Targets hard(int[] classes) {
        return new Targets(Objects.requireNonNull(classes, "classes"), null);
    }

    /** Hard targets read from 64-bit integers (as NumPy writes them); each must fit an int. */
    public static Targets hard(long[] classes) {
        Objects.requireNonNull(classes, "classes");
        int[] c = new int[classes.length];
        for (int i = 0; i < c.length; i++) {
            long v = classes[i];
            if (v != (int) v) {
                throw new IllegalArgumentException("targets[" + i + "] = " + v + " does not fit in an int");
            }
            c[i] = (int) v;
        }
        return new Targets(c, null);
    }

    /** Soft targets: row i of {@code distribution} is the target distribution of row i. Not modified. */
    public static Targets soft(FloatMatrix distribution) {
        return new Targets(null, Objects.requireNonNull(distribution, "distribution"));
    }

    /** True for class-index targets. */
    public boolean isHard() {
        return classes != null;
    }

    /** The class indices (hard targets), else null. */
    public int[] classes() {
        return classes;
    }

    /** The target distributions (soft targets), else null. */
    public FloatMatrix distribution() {
        return distribution;
    }

    /** Number of rows these targets describe. */
    public int rows() {
        return classes != null ? classes.length : distribution.rows();
    }

    @Override
    public String toString() {
        return isHard() ? "Targets.hard[" + classes.length + "]" : "Targets.soft[" + distribution + "]";
    }
}
