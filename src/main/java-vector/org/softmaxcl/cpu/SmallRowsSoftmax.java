package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import java.util.function.IntToDoubleFunction;

import jdk.incubator.vector.FloatVector;

/**
 * Softmax and log-softmax for small K with each vector lane on a row, like
 * {@link SmallRowsKernel}: a group of L rows transposed into a K×L tile, max, exponentials,
 * d − 1 and log d in vectors across the rows, the tile transposed back. A group holding a NaN or
 * ±∞ maximum goes to the scalar kernel; the caller finishes ranges that are not whole groups.
 */
final class SmallRowsSoftmax {
    private static final int L = LaneTile.L;
    private final int k;
    private final float[] xt;
    private final float[] et;
    private final float[] zt;
    private final int[] perm;
    /** The table {@link LaneTile#toTile} and {@link LaneTile#fromTile} move dense rows through (null: row by row). */
    private final int[] moves;
    /** Whether rows move by gathers and scatters ({@link LaneTile#GATHER_PROPERTY}). */
    private final boolean gather;
    private final float[] invT = new float[L];
    private final float[] m = new float[L];
    private final float[] less = new float[L];
    private final float[] dm1 = new float[L];
    private final int[] below = new int[L];
    /** 1/d per row (softmax written in memory order). */
    private final float[] invd = new float[L];
    /** log d per row (log-softmax written in memory order). */
    private final float[] logd = new float[L];

    SmallRowsSoftmax(int k, boolean gather) {
        this.k = k;
        this.gather = gather;
        xt = new float[k * L];
        et = new float[k * L];
        zt = new float[k * L];
        perm = LaneTile.permutation(k);
        moves = LaneTile.moveTable(k, perm);
    }

    /** p = e/d in place. */
    private static void finishTile(float[] t, int k, float[] dm1) {
        FloatVector f = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, dm1, 0).add(1f));
        for (int j = 0; j < k; j++) {
            FloatVector.fromArray(S, t, j * L).mul(f).intoArray(t, j * L);
        }
    }

    /**
     * log p = zs − log1p(d − 1) into {@code out}, zs = x·(1/T) − m computed again from the tile
     * by {@link LaneTile#forward}'s operations (the same bits as keeping it).
     */
    private static void logTile(float[] xt, int k, float[] invT, float[] m, float[] dm1, float[] out) {
        FloatVector vit = FloatVector.fromArray(S, invT, 0);
        FloatVector vm = FloatVector.fromArray(S, m, 0);
        FloatVector logd = VectorLog1p.log1p(FloatVector.fromArray(S, dm1, 0));
        for (int j = 0; j < k; j++) {
            FloatVector.fromArray(S, xt, j * L).mul(vit).sub(vm).sub(logd).intoArray(out, j * L);
        }
    }

    /** Processes whole groups of L rows from r0 on; returns the first row not processed. */
    int softmax(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, IntToDoubleFunction temperatures,
                boolean log, ScalarKernels scalar) {
        int[] xRows = gather ? LaneTile.rowOffsets(ldx) : null;
        int[] oRows = gather ? LaneTile.rowOffsets(ldo) : null;
        // Dense rows are written in memory order from x again (no scatter or table moves; the
        // same bits): softmax as e·(1/d) (1/d as finishTile computes it) with gathers or 512-bit
        // vectors, log-softmax as zs − log d on 512-bit vectors without gathers (LaneTile.logRows).
        int[] rowOf = (gather ? !log : LaneTile.OUT_IN_MEMORY_ORDER) && ldx == k && ldo == k
                ? LaneTile.rowOfElement(k) : null;
        // With gathers, log-softmax of dense rows goes out in memory order by gathers from the tile.
        boolean logRows = gather && log && ldo == k;
        boolean unitT = true;   // every 1/T so far is 1
        int i0 = r0;
        for (; i0 + L <= r1; i0 += L) {
            LaneTile.toTile(x, xo + i0 * ldx, ldx, k, xt, moves, xRows);
            for (int r = 0; r < L; r++) {
                invT[r] = (float) (1.0 / temperatures.applyAsDouble(i0 + r));
                unitT &= invT[r] == 1f;
            }
            float[] e = log ? zt : et;   // log-softmax: e into zt as scratch
            int first = LaneTile.forward(xt, e, k, invT, m, less, below);
            if (first == LaneTile.SCALAR) {
                for (int r = 0; r < L; r++) {
                    int i = i0 + r;
                    scalar.softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log);
                }
                continue;
            }
            if (first == LaneTile.EXACT) {
                LaneTile.expExact(xt, e, k, invT, m, less, below);
            }
            LaneTile.dm1(less, below, k, dm1);
            if (rowOf != null && !log) {
                FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, dm1, 0).add(1f)).intoArray(invd, 0);
                LaneTile.expScaledRows(x, xo + i0 * ldx, out, oo + i0 * ldo, k, invT, unitT, m, invd, rowOf,
                        first == LaneTile.EXACT);
                continue;
            }
            if (rowOf != null) {
                VectorLog1p.log1p(FloatVector.fromArray(S, dm1, 0)).intoArray(logd, 0);
                LaneTile.logRows(x, xo + i0 * ldx, out, oo + i0 * ldo, k, invT, unitT, m, logd, rowOf);
                continue;
            }
            if (log) {
                logTile(xt, k, invT, m, dm1, et);
                if (logRows) {
                    LaneTile.tileRows(et, out, oo + i0 * ldo, k, perm);
                    continue;
                }
            } else {
                finishTile(et, k, dm1);
            }
            LaneTile.fromTile(et, out, oo + i0 * ldo, ldo, k, moves, oRows);
        }
        return i0;
    }
}
