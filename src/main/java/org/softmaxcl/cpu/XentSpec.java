package org.softmaxcl.cpu;

import org.softmaxcl.backend.XentTask;

/**
 * The per-call constants of a cross-entropy task in the form the CPU row kernels read them, so
 * the inner loops touch no option object. Immutable.
 */
final class XentSpec {
    final int k;
    final boolean hard;
    final int[] targets;
    final int ignore;
    final double eps;
    /** ε/K: weight of every class in the smoothed target. */
    final double smooth;
    /** Class weights (K values) or null. */
    final float[] w;
    /** W = Σ_j w_j. */
    final double wSum;
    final double softcap;
    final double zeta;
    final double ceScale;
    final double zScale;
    final boolean stats;
    /** True when the loss needs Σ_j a_ij (m − z_ij): smoothing or soft targets. */
    final boolean needSum;
    final XentTask task;
    /**
     * The largest raw logit of each row, already computed by the REFUSE check, or null: kernels
     * that need it skip their own max pass (exact in any order, so the result is the same).
     */
    final float[] rowMax;

    XentSpec(XentTask t, float[] rowMax) {
        task = t;
        this.rowMax = rowMax;
        k = t.cols();
        hard = t.hard();
        targets = hard ? t.targets().classes() : null;
        ignore = t.opts().ignoreIndex();
        eps = t.opts().labelSmoothing();
        smooth = eps / k;
        w = t.opts().classWeights();
        wSum = t.classWeightSum();
        softcap = t.opts().softcap();
        zeta = t.opts().zLoss();
        ceScale = t.ceScale();
        zScale = t.zScale();
        stats = t.opts().rowStats();
        needSum = !hard || eps != 0;
    }

    double weight(int j) {
        return w == null ? 1.0 : w[j];
    }

    /** Temperature of row i. */
    double temperature(int row) {
        return task.opts().temperature(row);
    }
}
