package org.softmaxcl.backend;

import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * A checked cross-entropy call with the constants every backend needs.
 *
 * <p>The gradient a backend writes, for row i and class j (see {@link XentOptions}):
 * <pre>
 *   dz_ij = r_i · ( ceScale·(A_i·p_ij − a_ij) + zScale·2ζ·lse_i·p_ij ),   dx_ij = dz_ij · ∂z/∂x
 * </pre>
 * with r_i = {@link #rowScale(int)} (sample weight × upstream scale, 0 for ignored rows) and
 * A_i = Σ_j a_ij (for hard targets (ε/K)·W + (1−ε)·w[t_i], W = {@link #classWeightSum()}).
 *
 * @param logits         x, N×K. Not modified unless {@code grad} is the same view
 * @param targets        hard or soft targets (checked)
 * @param opts           the options (lengths checked against N and K)
 * @param grad           gradient output N×K, or null for loss only. Modified
 * @param ceScale        factor of the cross-entropy part in the reduced loss: 1/D for mean, else 1 (0 for an empty mean)
 * @param zScale         factor of the z-loss part: 1/(counted rows) for mean, else 1
 * @param classWeightSum W = Σ_j w_j (K without weights)
 * @param countedRows    rows not ignored
 * @param denominator    the mean denominator D (1 for sum and none)
 */
public record XentTask(FloatMatrix logits, Targets targets, XentOptions opts, FloatMatrix grad,
                       double ceScale, double zScale, double classWeightSum, int countedRows, double denominator) {

    public int rows() {
        return logits.rows();
    }

    public int cols() {
        return logits.cols();
    }

    public boolean hard() {
        return targets.isHard();
    }

    /** True when row i is counted (soft targets: always). */
    public boolean counted(int row) {
        return !targets.isHard() || targets.classes()[row] != opts.ignoreIndex();
    }

    /**
     * True when the reduced loss is the plain sum of the counted rows' ce (no sample weights, no
     * z-loss): {@link CeBlockSums}' case, whatever the reduction and the per-row outputs.
     */
    public boolean plainLoss() {
        return opts.zLoss() == 0 && !opts.hasSampleWeights();
    }

    /**
     * True for a {@link org.softmaxcl.Reduction#MEAN} whose denominator is 0: its gradient is zero
     * whatever the logits ({@link org.softmaxcl.EmptyMeanPolicy}), NaN ones included.
     */
    public boolean emptyMean() {
        return opts.reduction() == org.softmaxcl.Reduction.MEAN && denominator == 0;
    }

    /** This call without its gradient (the loss, row losses and statistics only). */
    public XentTask withoutGradient() {
        return new XentTask(logits, targets, opts, null, ceScale, zScale, classWeightSum, countedRows, denominator);
    }

    /** True when the gradient overwrites the logits. */
    public boolean inPlace() {
        return grad != null && grad.sameViewAs(logits);
    }

    /** r_i: sample weight × upstream gradient scale as float32; 0 for ignored rows. */
    public float rowScale(int row) {
        return counted(row) ? opts.sampleWeight(row) * opts.gradScale(row) : 0f;
    }
}
