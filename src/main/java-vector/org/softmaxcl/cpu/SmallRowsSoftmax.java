package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import java.util.function.IntToDoubleFunction;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax and log-softmax for small K with each vector lane on a row, like
 * {@link SmallRowsKernel}: a group of L rows transposed into a K×L tile, max, exponentials,
 * d − 1 and log d in vectors across the rows, the tile transposed back. A group holding a NaN or
 * ±∞ maximum goes to the scalar kernel; the caller finishes ranges that are not whole groups.
 */
final class SmallRowsSoftmax {
    private static final int L = S.length();
    private final int k;
    private final float[] xt;
    private final float[] et;
    private final float[] lane = new float[L];
    private final float[] invT = new float[L];

    SmallRowsSoftmax(int k) {
        this.k = k;
        xt = new float[k * L];
        et = new float[k * L];
    }

    /** Processes whole groups of L rows from r0 on; returns the first row not processed. */
    int softmax(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, IntToDoubleFunction temperatures,
                boolean log, ScalarKernels scalar) {
        int i0 = r0;
        for (; i0 + L <= r1; i0 += L) {
            for (int r = 0; r < L; r++) {
                int xr = xo + (i0 + r) * ldx;
                for (int j = 0; j < k; j++) {
                    xt[j * L + r] = x[xr + j];
                }
                invT[r] = (float) (1.0 / temperatures.applyAsDouble(i0 + r));
            }
            FloatVector xmax = FloatVector.fromArray(S, xt, 0);
            for (int j = 1; j < k; j++) {
                xmax = xmax.max(FloatVector.fromArray(S, xt, j * L));
            }
            xmax.intoArray(lane, 0);
            boolean finite = true;
            for (int r = 0; r < L; r++) {
                finite &= Float.isFinite(lane[r]);
            }
            if (!finite) {
                for (int r = 0; r < L; r++) {
                    int i = i0 + r;
                    scalar.softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log);
                }
                continue;
            }
            FloatVector vit = FloatVector.fromArray(S, invT, 0);
            FloatVector m = xmax.mul(vit);
            FloatVector less = FloatVector.zero(S);
            FloatVector ties = FloatVector.zero(S);
            for (int j = 0; j < k; j++) {
                FloatVector zs = FloatVector.fromArray(S, xt, j * L).mul(vit).sub(m);
                FloatVector e = VectorExp.exp(zs);
                (log ? zs : e).intoArray(et, j * L);
                VectorMask<Float> lt = zs.compare(VectorOperators.LT, 0f);
                less = less.add(e, lt);
                ties = ties.add(1f, lt.not());
            }
            FloatVector dm1 = less.add(ties.sub(1f));
            FloatVector f = log ? VectorLog1p.log1p(dm1) : FloatVector.broadcast(S, 1f).div(dm1.add(1f));
            for (int j = 0; j < k; j++) {
                FloatVector v = FloatVector.fromArray(S, et, j * L);
                (log ? v.sub(f) : v.mul(f)).intoArray(et, j * L);
            }
            for (int r = 0; r < L; r++) {
                int or = oo + (i0 + r) * ldo;
                for (int j = 0; j < k; j++) {
                    out[or + j] = et[j * L + r];
                }
            }
        }
        return i0;
    }
}
