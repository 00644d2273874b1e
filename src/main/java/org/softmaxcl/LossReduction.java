package org.softmaxcl;

import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.XentTask;

/**
 * Turns the per-row parts a backend computed into the reduced loss, in float64 and row order
 * (so the result never depends on threads or devices' reduction order).
 */
final class LossReduction {
    private LossReduction() {
    }

    static XentResult reduce(XentTask t, RowOutputs rows) {
        XentOptions o = t.opts();
        int n = t.rows();
        boolean keepRows = o.reduction() == Reduction.NONE || o.rowStats();
        float[] rowLoss = keepRows ? new float[n] : null;
        double zeta = o.zLoss();
        double ceSum = 0;
        double zSum = 0;
        for (int i = 0; i < n && !rows.reduced; i++) {
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
