package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax and log-softmax backward for small K (below two vectors a row) with each vector lane on
 * a row, like {@link SmallRowsSoftmax}: a group of L rows of y (s or log s) and of g transposed
 * into K×L tiles, then per row s = Σ_j g_j·y_j (softmax) or Σ_j g_j (log-softmax) in lanes, and
 * dx_j = y_j·(g_j − s) or g_j − e^(y_j)·s, the tile transposed back. Row by row these rows went to
 * the scalar kernel, whose native {@code Math.exp} per element held log-softmax's backward at
 * 0.09 Gelem/s at 262144×10 (2 threads).
 *
 * <p>The sum is compensated (each product's rounding error by an fma, each addition's by
 * Knuth's two-sum, the errors summed in float), so before it is rounded to float it is the exact
 * sum to about k·2^−48 of Σ|g_j·y_j|, as good as the scalar kernel's float64 one; dx then rounds
 * as the wider rows' kernel's does ({@code VectorKernels#backwardRow}). Where the sum is not
 * finite (an infinite or NaN g) it is taken uncompensated, as the other kernels take it. In place
 * (dx the same view as y or g) each group is read whole before it is written. Not thread-safe:
 * one instance per range of rows.
 */
final class SmallRowsBackward {
    private static final int L = LaneTile.L;
    private final int k;
    private final float[] yt;
    private final float[] gt;
    private final int[] perm;
    private final boolean gather;

    SmallRowsBackward(int k, boolean gather) {
        this.k = k;
        this.gather = gather;
        yt = new float[k * L];
        gt = new float[k * L];
        perm = LaneTile.permutation(k);
    }

    /** Processes whole groups of L rows from r0 on; returns the first row not processed. */
    int backward(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg, float[] dx, int dxo, int lddx,
                 boolean log) {
        int[] yRows = gather ? LaneTile.rowOffsets(ldy) : null;
        int[] gRows = gather ? LaneTile.rowOffsets(ldg) : null;
        int[] dRows = gather ? LaneTile.rowOffsets(lddx) : null;
        boolean dense = gather && lddx == k;
        int i0 = r0;
        for (; i0 + L <= r1; i0 += L) {
            LaneTile.toTile(y, yo + i0 * ldy, ldy, k, yt, perm, yRows);
            LaneTile.toTile(g, go + i0 * ldg, ldg, k, gt, perm, gRows);
            group(yt, gt, k, log);
            if (dense) {
                LaneTile.tileRows(gt, dx, dxo + i0 * lddx, k, perm);
            } else {
                LaneTile.fromTile(gt, dx, dxo + i0 * lddx, lddx, k, perm, dRows);
            }
        }
        return i0;
    }

    /**
     * dx of the group into {@code gt} (each g_j is read before its dx_j is written). Softmax:
     * s = Σ g_j·y_j, dx_j = y_j·(g_j − s); log-softmax: s = Σ g_j, dx_j = g_j − e^(y_j)·s; s
     * compensated. Both cases in one method of over 325 bytes of bytecode, with no branch in
     * their loops, so that C2 compiles it alone rather than inlined into {@link #backward},
     * whose gathers left it no budget for the exponential's operations (a method per case, each
     * inlined there, boxed them: 33–41 young collections per 25 calls at 262144×10).
     */
    private static void group(float[] yt, float[] gt, int k, boolean log) {
        FloatVector sum = FloatVector.zero(S);
        FloatVector err = FloatVector.zero(S);
        if (log) {
            for (int j = 0; j < k; j++) {
                FloatVector term = FloatVector.fromArray(S, gt, j * L);
                FloatVector s = sum.add(term);
                FloatVector back = s.sub(sum);
                err = err.add(sum.sub(s.sub(back)).add(term.sub(back)));   // two-sum: the addition's error
                sum = s;
            }
            FloatVector neg = sum.blend(sum.add(err), sum.abs().compare(VectorOperators.LT, Float.POSITIVE_INFINITY)).neg();
            for (int j = 0; j < k; j++) {
                FloatVector gv = FloatVector.fromArray(S, gt, j * L);
                VectorExp.expAny(FloatVector.fromArray(S, yt, j * L)).fma(neg, gv).intoArray(gt, j * L);
            }
            return;
        }
        for (int j = 0; j < k; j++) {
            FloatVector gv = FloatVector.fromArray(S, gt, j * L);
            FloatVector yv = FloatVector.fromArray(S, yt, j * L);
            FloatVector term = gv.mul(yv);
            err = err.add(gv.fma(yv, term.neg()));   // the product's rounding error, exactly
            FloatVector s = sum.add(term);
            FloatVector back = s.sub(sum);
            err = err.add(sum.sub(s.sub(back)).add(term.sub(back)));
            sum = s;
        }
        FloatVector vs = sum.blend(sum.add(err), sum.abs().compare(VectorOperators.LT, Float.POSITIVE_INFINITY));
        for (int j = 0; j < k; j++) {
            FloatVector gv = FloatVector.fromArray(S, gt, j * L);
            FloatVector.fromArray(S, yt, j * L).mul(gv.sub(vs)).intoArray(gt, j * L);
        }
    }
}
