package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.RowPass.BLOCK;
import static org.softmaxcl.cpu.RowPass.below;
import static org.softmaxcl.cpu.RowPass.lanes;
import static org.softmaxcl.cpu.RowPass.lessPart;
import static org.softmaxcl.cpu.RowPass.maxOf;
import static org.softmaxcl.cpu.RowSums.accumulate;
import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.softmaxcl.cpu.RowPass.Row;

/**
 * The cross-entropy's passes over one long row beyond the common case of {@link RowPass}:
 * pass 2 with label smoothing ({@link #smoothPass}), soft targets ({@link #softPass}) or row
 * statistics ({@link #statsPass}), the row's scalar tail of any of them ({@link #passTail}), the
 * gradient with smoothing or soft targets ({@link #smoothGrad}, {@link #softGrad}), and the
 * soft-cap's z = c·tanh(x/(T·c)) with ∂z/∂x ({@link #capRow}, {@link #chain}). The row's set-up
 * and finish are {@link VectorKernels}'. Each pass is a method of its own, compiled alone (see
 * {@link #smoothPass} on why they are not one loop). Static and stateless.
 */
final class XentPasses {
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private XentPasses() {
    }

    /**
     * The first j with x_j == v (−0 equal to +0), v a value of the row (its max): a vector compare
     * per L elements, then the one vector that holds it element by element (a scalar scan took
     * a tenth of a call with statistics at 16384×1000).
     */
    static int indexOf(float[] x, int xo, int k, float v) {
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            if (FloatVector.fromArray(S, x, xo + j).compare(VectorOperators.EQ, v).anyTrue()) {
                break;
            }
        }
        while (x[xo + j] != v) {
            j++;
        }
        return j;
    }

    /**
     * The column of a soft target row's largest entry, the first of equal ones (the statistics'
     * target column), as the scalar kernels' strict comparison finds it: the row has been checked
     * (no NaN, nothing below 0 or infinite), so it is where its max first occurs.
     */
    static int softTargetColumn(float[] y, int yo, int k) {
        return indexOf(y, yo, k, maxOf(y, yo, k));
    }

    /**
     * z_j = c·tanh(x_j·invT/c) and dz_j = (1 − tanh)(1 + tanh)·invT for j in [0, k), k ≥ L;
     * returns max z (NaN if some z is). A counted loop and a last overlapping vector: the same
     * work as one loop that clamped its last offset and left from its middle, which C2 (JDK 17)
     * compiled with every constant of tanh boxed (a float[] per vector; 36 young collections
     * where the plain loss has 12, 0.45 → 0.72 Gelem/s at 16384×1000). z's max is taken here
     * too: {@link RowPass#maxOf} inlined into {@link VectorKernels#softcapRow} was boxed at 2048×32000.
     */
    static float capRow(float[] x, int xo, int k, float invT, float c, float[] z, float[] dz) {
        final float invC = 1f / c;
        final int ub = S.loopBound(k);
        FloatVector zmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < ub; j += L) {
            zmax = zmax.max(capVector(x, xo, j, invT, invC, c, z, dz));
        }
        if (ub < k) {   // the last vector overlaps the one before it
            zmax = zmax.max(capVector(x, xo, k - L, invT, invC, c, z, dz));
        }
        return zmax.reduceLanes(VectorOperators.MAX);
    }

    /** z and dz of the L elements from {@code at}; returns z. */
    static FloatVector capVector(float[] x, int xo, int at, float invT, float invC, float c, float[] z, float[] dz) {
        FloatVector u = FloatVector.fromArray(S, x, xo + at).mul(invT).mul(invC);
        FloatVector th = VectorExp.tanh(u);
        FloatVector zv = th.mul(c);
        zv.intoArray(z, at);
        FloatVector.broadcast(S, 1f).sub(th).mul(th.add(1f)).mul(invT).intoArray(dz, at);
        return zv;
    }

    /** g_j ·= dz_j over [0, k). */
    static void chain(float[] g, int go, float[] dz, int k) {
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector.fromArray(S, g, go + j).mul(FloatVector.fromArray(S, dz, j)).intoArray(g, go + j);
        }
        for (; j < k; j++) {
            g[go + j] *= dz[j];
        }
    }

    /**
     * Pass 2 of a row with hard targets and smoothing, its vectors block by block, then its tail: e_j (into
     * {@code e} unless null), d − 1's terms, and Σ a_j·(m − z_j) with a_j = w_j (1 without class
     * weights) into r.sumA; a zero coefficient against a −∞ logit counts 0, not NaN. The same sums
     * in the same lanes and order as the statistics' loop in {@link VectorKernels#xentRow}, so the same bits.
     *
     * <p>A method of its own that takes the whole row rather than a block: at over 325 bytes of
     * bytecode C2 never inlines it into xentRow (FreqInlineSize), so it is compiled alone and its
     * vector operations all fit C2's inlining budget; inlined into xentRow they did not, and the
     * loop's vectors were boxed (10× slower: 0.17–0.22 Gelem/s at 16384×1000 on 2 threads).
     */
    static void smoothPass(XentSpec s, float[] x, int xo, float[] e, int eo, float invT, float m, float[] tail,
                                   Row r, float[] tmp) {
        final float[] w = s.w;
        final int k = s.k;
        final int ub = S.loopBound(k);
        final FloatVector vinvT = FloatVector.broadcast(S, invT);
        final FloatVector negM = FloatVector.broadcast(S, -m);
        for (int b = 0; b < ub; b += BLOCK) {
            final int be = Math.min(ub, b + BLOCK);
            FloatVector accL = FloatVector.zero(S);
            FloatVector accS = FloatVector.zero(S);
            IntVector accB = IntVector.zero(I);
            for (int j = b; j < be; j += L) {
                FloatVector zs = FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM);
                FloatVector ev = VectorExp.exp(zs);
                if (e != null) {
                    ev.intoArray(e, eo + j);
                }
                IntVector below = below(zs);
                accL = accL.add(lessPart(ev, below));
                accB = accB.add(below);
                if (w != null) {
                    FloatVector a = FloatVector.fromArray(S, w, j);
                    accS = accS.add(a.mul(zs.neg()), a.compare(VectorOperators.NE, 0f));
                } else {
                    accS = accS.add(zs.neg());
                }
            }
            r.less += lanes(accL, tmp);
            r.ties += (be - b) + accB.reduceLanes(VectorOperators.ADD);
            r.sumA += lanes(accS, tmp);
        }
        passTail(s, x, xo, null, 0, e, eo, invT, m, tail, r);
    }

    /**
     * Pass 2 of a row with soft targets, as {@link #smoothPass}: e_j (into {@code e} unless null),
     * d − 1's terms, and with a_j = w_j·((1 − ε)·y_j + ε/K), Σ a_j into r.totalA and Σ a_j·(m − z_j)
     * into r.sumA.
     */
    static void softPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT,
                                 float m, float[] tail, Row r, float[] tmp) {
        final float[] w = s.w;
        final int k = s.k;
        final int ub = S.loopBound(k);
        final float oneMinusEps = (float) (1 - s.eps);
        final float smooth = (float) s.smooth;
        final FloatVector vinvT = FloatVector.broadcast(S, invT);
        final FloatVector negM = FloatVector.broadcast(S, -m);
        for (int b = 0; b < ub; b += BLOCK) {
            final int be = Math.min(ub, b + BLOCK);
            FloatVector accL = FloatVector.zero(S);
            FloatVector accS = FloatVector.zero(S);
            FloatVector accT = FloatVector.zero(S);
            IntVector accB = IntVector.zero(I);
            for (int j = b; j < be; j += L) {
                FloatVector zs = FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM);
                FloatVector ev = VectorExp.exp(zs);
                if (e != null) {
                    ev.intoArray(e, eo + j);
                }
                IntVector below = below(zs);
                accL = accL.add(lessPart(ev, below));
                accB = accB.add(below);
                FloatVector a = FloatVector.fromArray(S, y, yo + j).fma(oneMinusEps, smooth);
                if (w != null) {
                    a = a.mul(FloatVector.fromArray(S, w, j));
                }
                accT = accT.add(a);
                accS = accS.add(a.mul(zs.neg()), a.compare(VectorOperators.NE, 0f));
            }
            r.less += lanes(accL, tmp);
            r.ties += (be - b) + accB.reduceLanes(VectorOperators.ADD);
            r.sumA += lanes(accS, tmp);
            r.totalA += lanes(accT, tmp);
        }
        passTail(s, x, xo, y, yo, e, eo, invT, m, tail, r);
    }

    /**
     * Pass 2 of a row with statistics (any targets and options but a soft-cap), its vectors block
     * by block, then its tail: e_j (into {@code e} unless null), d − 1's terms, Σ a_j·(m − z_j) and
     * Σ a_j as {@link #smoothPass} and {@link #softPass} take them, and the entropy's Σ e_j·(m − z_j)
     * (where e_j is not 0) into r.sumE. Over 325 bytes of bytecode, like them, so that C2 compiles
     * it alone.
     */
    static void statsPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT,
                                  float m, float[] tail, Row r, float[] tmp) {
        final int ub = S.loopBound(s.k);
        final boolean soft = !s.hard;
        final boolean needSum = s.needSum;
        final float[] w = s.w;
        final float oneMinusEps = (float) (1 - s.eps);
        final float smooth = (float) s.smooth;
        final FloatVector vinvT = FloatVector.broadcast(S, invT);
        final FloatVector negM = FloatVector.broadcast(S, -m);
        for (int b = 0; b < ub; b += BLOCK) {
            int be = Math.min(ub, b + BLOCK);
            FloatVector accL = FloatVector.zero(S);
            FloatVector accS = FloatVector.zero(S);
            FloatVector accT = FloatVector.zero(S);
            FloatVector accE = FloatVector.zero(S);
            IntVector accB = IntVector.zero(I);
            for (int j = b; j < be; j += L) {
                FloatVector zs = FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM);
                FloatVector ev = VectorExp.exp(zs);
                if (e != null) {
                    ev.intoArray(e, eo + j);
                }
                IntVector below = below(zs);
                accL = accL.add(lessPart(ev, below));
                accB = accB.add(below);
                if (needSum) {
                    FloatVector a;
                    if (soft) {
                        a = FloatVector.fromArray(S, y, yo + j).fma(oneMinusEps, smooth);
                        if (w != null) {
                            a = a.mul(FloatVector.fromArray(S, w, j));
                        }
                        accT = accT.add(a);
                    } else {
                        a = w != null ? FloatVector.fromArray(S, w, j) : FloatVector.broadcast(S, 1f);
                    }
                    // a·(m − z); a zero coefficient against a −∞ logit counts 0, not NaN.
                    accS = accS.add(a.mul(zs.neg()), a.compare(VectorOperators.NE, 0f));
                }
                accE = accE.add(ev.mul(zs.neg()), ev.compare(VectorOperators.NE, 0f));
            }
            r.less += lanes(accL, tmp);
            r.ties += (be - b) + accB.reduceLanes(VectorOperators.ADD);
            if (needSum) {
                r.sumA += lanes(accS, tmp);
                r.totalA += lanes(accT, tmp);
            }
            r.sumE += lanes(accE, tmp);
        }
        passTail(s, x, xo, soft ? y : null, yo, e, eo, invT, m, tail, r);
    }

    /**
     * The row's scalar tail [ub, k) after pass 2's vectors: e_j from {@link RowPass#tailExp}'s lanes (into
     * {@code e} unless null) and its sums, element by element ({@link RowSums#accumulate}; y: soft targets).
     */
    static void passTail(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT, float m,
                                 float[] tail, Row r) {
        final int k = s.k;
        for (int j = S.loopBound(k); j < k; j++) {
            float zs = x[xo + j] * invT - m;
            float ej = tail[j - (k - L)];
            if (e != null) {
                e[eo + j] = ej;
            }
            accumulate(s, r, zs, ej, y != null ? y[yo + j] : 0f, j);
        }
    }

    /** Pass 3 for hard targets with smoothing: g_j = alpha·e_j − bs·w_j off the target (bs = beta·ε/K). */
    static void smoothGrad(float[] g, int go, int k, float alpha, float bs, float[] w) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vbs = FloatVector.broadcast(S, -bs);
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector wv = w != null ? FloatVector.fromArray(S, w, j) : FloatVector.broadcast(S, 1f);
            FloatVector.fromArray(S, g, go + j).fma(va, wv.mul(vbs)).intoArray(g, go + j);
        }
        RowSums.smoothGrad(g, go, j, k, alpha, bs, w);
    }

    /** Pass 3 for soft targets: g_j = alpha·e_j − beta·a_j, a_j = w_j·((1 − ε)·y_j + ε/K). */
    static void softGrad(XentSpec s, float[] g, int go, float[] y, int yo, float alpha, float beta) {
        final float oneMinusEps = (float) (1 - s.eps);
        final float smooth = (float) s.smooth;
        final float[] w = s.w;
        final int k = s.k;
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vnb = FloatVector.broadcast(S, -beta);
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector a = FloatVector.fromArray(S, y, yo + j).fma(oneMinusEps, smooth);
            if (w != null) {
                a = a.mul(FloatVector.fromArray(S, w, j));
            }
            FloatVector.fromArray(S, g, go + j).fma(va, a.mul(vnb)).intoArray(g, go + j);
        }
        RowSums.softGrad(s, g, go, y, yo, j, k, alpha, beta);
    }
}
