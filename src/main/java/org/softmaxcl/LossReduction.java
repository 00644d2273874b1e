package org.softmaxcl;

import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.XentTask;

/**
 * Turns the per-row parts a backend computed into the reduced loss, in float64 and a fixed order
 * (row order; without weights or z-loss, eight interleaved partial sums: see
 * {@link #plainSum}), so that the result never depends on threads or devices' reduction order.
 */
final class LossReduction {
    private LossReduction() {
    }

    /**
     * Σ ce_i over the counted rows in float64, in eight interleaved partial sums (row i into part
     * i mod 8) added pairwise at the end: a fixed order, independent of threads, with eight chains
     * of dependent additions instead of one (a float64 add waits ~4 cycles for the previous one:
     * one chain over 262144 rows took ~5 % of a K = 10 call on one thread). When every row counts
     * (known from the task) the rows are not tested one by one.
     */
    static double plainSum(XentTask t, float[] ce, int n) {
        boolean all = t.countedRows() == n;
        double p0 = 0;
        double p1 = 0;
        double p2 = 0;
        double p3 = 0;
        double p4 = 0;
        double p5 = 0;
        double p6 = 0;
        double p7 = 0;
        for (int i = 0; i < n; i += 8) {
            // Rows past n read as counted-out (the last n mod 8 go to the parts their index names).
            p0 += term(t, ce, n, all, i);
            p1 += term(t, ce, n, all, i + 1);
            p2 += term(t, ce, n, all, i + 2);
            p3 += term(t, ce, n, all, i + 3);
            p4 += term(t, ce, n, all, i + 4);
            p5 += term(t, ce, n, all, i + 5);
            p6 += term(t, ce, n, all, i + 6);
            p7 += term(t, ce, n, all, i + 7);
        }
        return ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7));
    }

    /** Row i's term of {@link #plainSum}: its ce when it exists and counts, else 0. */
    private static double term(XentTask t, float[] ce, int n, boolean all, int i) {
        return i < n && (all || t.counted(i)) ? ce[i] : 0.0;
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
        // loss), the interleaved sum; a row's loss is then its ce.
        boolean plain = zeta == 0 && !o.hasSampleWeights();
        if (plain && !rows.reduced) {
            ceSum = plainSum(t, rows.ce, n);
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
