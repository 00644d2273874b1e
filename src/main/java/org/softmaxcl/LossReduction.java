package org.softmaxcl;

import org.softmaxcl.backend.CeBlockSums;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.XentTask;

/**
 * Turns the per-row parts a backend computed into the reduced loss, in float64 and a fixed order
 * (row order; without weights or z-loss, blocks of rows in block order, each in eight
 * interleaved partial sums: see {@link #plainSum}), so that the result never depends on threads
 * or devices' reduction order.
 */
final class LossReduction {
    private LossReduction() {
    }

    /**
     * Σ ce_i over the counted rows in float64, block by block in block order
     * ({@link CeBlockSums}): a fixed order, independent of threads. Each block's sum is taken from
     * {@code blockSums} when the backend filled them (the same bits), else computed here.
     */
    static double plainSum(XentTask t, float[] ce, int n, double[] blockSums) {
        double s = 0;
        for (int b = 0; b < CeBlockSums.blocks(n); b++) {
            s += blockSums != null ? blockSums[b] : CeBlockSums.of(t, ce, n, b);
        }
        return s;
    }

    static XentResult reduce(XentTask t, RowOutputs rows) {
        XentOptions o = t.opts();
        int n = t.rows();
        boolean keepRows = o.reduction() == Reduction.NONE || o.rowStats();
        float[] rowLoss = keepRows ? new float[n] : null;
        double zeta = o.zLoss();
        double ceSum = 0;
        double zSum = 0;
        // Without weights or z-loss (per-row outputs or not: asking for them changes no bit of the
        // loss), the block sum (CeBlockSums); a row's loss is then its ce.
        boolean plain = t.plainLoss();
        if (plain && !rows.reduced) {
            ceSum = plainSum(t, rows.ce, n, rows.ceBlockSums);
            for (int i = 0; i < n && keepRows; i++) {
                rowLoss[i] = t.counted(i) ? rows.ce[i] : 0f;
            }
        }
        for (int i = 0; i < n && !rows.reduced && !plain; i++) {
            if (!t.counted(i)) {
                continue;
            }
            double s = o.sampleWeight(i);
            double ce = rows.ce[i];
            double lse = rows.lse[i];
            double z = zeta != 0 ? zeta * lse * lse : 0;
            ceSum += s * ce;
            zSum += s * z;
            if (keepRows) {
                rowLoss[i] = (float) (s * (ce + z));
            }
        }
        if (rows.reduced) {
            ceSum = rows.ceSum;
            zSum = rows.zSum;
        }
        double loss;
        if (o.reduction() == Reduction.MEAN) {
            if (t.denominator() == 0) {
                loss = o.emptyMean() == EmptyMeanPolicy.NAN ? Double.NaN : 0;
            } else {
                loss = ceSum * t.ceScale() + zSum * t.zScale();
            }
        } else {
            loss = ceSum + zSum;
        }
        RowStats stats = null;
        if (o.rowStats()) {
            stats = new RowStats(rowLoss, rows.lse, rows.max, rows.argmax, rows.hit, rows.targetProb, rows.entropy);
        }
        return new XentResult(loss, keepRows ? rowLoss : null, stats, t.countedRows(), t.denominator());
    }
}
