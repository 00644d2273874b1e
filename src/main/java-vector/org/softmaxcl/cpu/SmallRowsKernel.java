package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import org.softmaxcl.backend.RowOutputs;

/**
 * The fused cross-entropy for small K (below {@link VectorKernels#XENT_LANES_K}), with each vector
 * lane on a row: a group of L rows is transposed into a K×L tile (column j of every row in one
 * vector), the whole pass — max, exponentials, sums, log d, the gradient — runs in vectors across
 * the rows, and the gradient tile is transposed back. Row-wise vectors would leave most lanes idle
 * at K = 10, and a row's fixed costs (horizontal sums, log d) would cost more than the row itself.
 * With gathers ({@link LaneTile#GATHER_PROPERTY}, AVX-512) each column comes in by one gather
 * and each row's target entries move by one gather and one scatter per group (on 512-bit vectors
 * the target entries are read by gathers with element moves too, {@link LaneTile#TARGET_GATHER}),
 * and the plain gradient (hard targets, no smoothing) goes out in memory order for dense rows,
 * each vector gathered from the tile ({@link LaneTile#tileScaledRows}), or by one scatter per
 * column for strided ones; otherwise element by element, but for the plain gradient of dense rows
 * on 512-bit vectors ({@link LaneTile#OUT_IN_MEMORY_ORDER}), which goes out in memory order as
 * e·α, e computed again from x ({@link LaneTile#expScaledRows}).
 *
 * <p>The loss, lse and gradient constants come from one finish in float32 lanes whether or not
 * row statistics are asked for (so asking for them changes no bit of either); the statistics are
 * taken beside it, in lanes but for each row's target probability and hit.
 *
 * <p>A soft-cap c turns the tile into z = c·tanh(x/(T·c)) first (the statistics' max and argmax
 * are taken from the raw logits before), the pass runs on z at T = 1, and the gradient tile is
 * multiplied by ∂z/∂x before it goes back; a group with a NaN or infinite logit goes to the
 * scalar kernel.
 *
 * <p>Same formulas as {@link ScalarKernels}; the target's p − 1 is −(Σ_{j≠t} e_j)/d, free of
 * cancellation, so no expm1 is needed. A group holding a NaN, ±∞ maximum goes to the scalar
 * kernel (NaN semantics); the caller finishes ranges that are not whole groups. Not thread-safe:
 * one instance per range of rows.
 */
final class SmallRowsKernel {
    private static final int L = LaneTile.L;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private final XentSpec s;
    private final ScalarKernels scalar;
    private final int k;
    /** The tile of the group being processed, and of the group after it ({@link #xent}). */
    private float[] xt;
    private float[] xtNext;
    /** {@link LaneTile#permutation} of k. */
    private final int[] perm;
    /** Whether rows move by gathers and scatters ({@link LaneTile#GATHER_PROPERTY}). */
    private final boolean gather;
    /** Whether {@link #finishLanes} reads the target entries by gathers ({@link LaneTile#TARGET_GATHER}; always with {@link #gather}). */
    private final boolean targetGather;
    /** {@link LaneTile#rowOffsets} of x's, y's and g's row strides (gathers only; else null). */
    private int[] xRows, yRows, gRows;
    /**
     * {@link LaneTile#rowOfElement} of k when x's and g's rows are dense and rows move by gathers
     * or vectors are 512 bits wide (the gradient written in memory order), else null.
     */
    private int[] rowOf;
    /** 0, 1, …, L − 1. */
    private static final int[] IOTA = java.util.stream.IntStream.range(0, L).toArray();
    /** Per row of the group: the tile index of its target's column ({@link #finishLanes}, gathers only). */
    private final int[] tIdx = new int[L];
    /** Per row of the group: its target's offset in the group's gradient rows (gathers only). */
    private final int[] tOut = new int[L];
    /** Whether {@link #finishLanes} set {@link #tOut} for this group. */
    private boolean tOutSet;
    private final float[] yt;
    private final float[] zt;
    private final float[] et;
    private final float[] lane = new float[L];
    /** The target's gradient entry of each row of the group. */
    private final float[] lanes2 = new float[L];
    private final float[] invT = new float[L];
    private final float[] mArr = new float[L];
    private final float[] dm1 = new float[L];
    private final float[] logd = new float[L];
    private final float[] invd = new float[L];
    private final float[] sumA = new float[L];
    private final float[] totalA = new float[L];
    private final float[] sumE = new float[L];
    /** (1 − ε)·w_t per row, for {@link #finishLanes}. */
    private final float[] hArr = new float[L];
    private final float[] alpha = new float[L];
    private final float[] beta = new float[L];
    private final float[] lessArr = new float[L];
    private final int[] below = new int[L];
    /** Statistics with soft targets: per row of the group, the column of its largest target ({@link #argmaxLanes}). */
    private final float[] argY = new float[L];

    private final boolean rowTemperatures;
    private final float invT0;
    private final boolean rowScales;
    private final float rs0;
    /** The soft-cap c, or 0 for none. */
    private final float cap;
    /**
     * With a soft-cap, each row's 1/T, taken by {@link #capTile} ({@link #invT} then holds 1: the
     * passes after it run on z at T = 1); else null.
     */
    private final float[] capInvT;
    /** With a soft-cap and a gradient, ∂z/∂x of the group's tile ({@link #capTile}); else unused. */
    private final float[] dzt;

    SmallRowsKernel(XentSpec s, ScalarKernels scalar, boolean gather, boolean targetGather) {
        this.s = s;
        this.gather = gather;
        this.targetGather = gather || targetGather;
        rowTemperatures = s.task.opts().hasRowTemperatures();
        invT0 = (float) (1.0 / s.task.opts().temperature());
        rowScales = s.task.opts().hasSampleWeights() || s.task.opts().hasRowGradScales();
        rs0 = s.task.opts().gradScale();
        cap = (float) s.softcap;
        capInvT = cap > 0 ? new float[L] : null;
        java.util.Arrays.fill(cap > 0 ? capInvT : invT, invT0);
        if (cap > 0) {
            java.util.Arrays.fill(invT, 1f);
        }
        this.scalar = scalar;
        this.k = s.k;
        xt = new float[k * L];
        xtNext = new float[k * L];
        perm = LaneTile.permutation(k);
        yt = s.hard ? null : new float[k * L];
        zt = new float[k * L];
        et = new float[k * L];
        dzt = cap > 0 ? new float[k * L] : null;
    }

    /** Processes whole groups of L rows from r0 on; returns the first row not processed. */
    int xent(int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy, float[] g, int go, int ldg,
             RowOutputs out) {
        if (gather) {
            xRows = LaneTile.rowOffsets(ldx);
            yRows = y != null ? LaneTile.rowOffsets(ldy) : null;
            gRows = g != null ? LaneTile.rowOffsets(ldg) : null;
        }
        rowOf = (gather || LaneTile.OUT_IN_MEMORY_ORDER) && g != null && ldx == k && ldg == k
                ? LaneTile.rowOfElement(k) : null;
        // Each group's logits are moved into their tile before the group before it runs, so the
        // gathers, on which nothing of that group waits, overlap its chain of dependent steps
        // (the same tile, the same bits; in place, the next rows are read before this group's
        // are written). JarPair, five runs (1 thread 16384×10, 2 threads 262144×10), each against
        // the old build with a second copy of it as a control: 1.1–2.8 % less time than the
        // control in four, 0.5 % more in one. Softmax, tried the same way, took 1.4–4 % more, so
        // SmallRowsSoftmax keeps one tile.
        int i0 = r0;
        if (i0 + L <= r1) {
            LaneTile.toTile(x, xo + i0 * ldx, ldx, k, xtNext, perm, xRows);
        }
        for (; i0 + L <= r1; i0 += L) {
            float[] t = xt;
            xt = xtNext;
            xtNext = t;
            if (i0 + 2 * L <= r1) {
                LaneTile.toTile(x, xo + (i0 + L) * ldx, ldx, k, xtNext, perm, xRows);
            }
            group(i0, x, xo, ldx, y, yo, ldy, g, go, ldg, out);
        }
        return i0;
    }

    private void group(int i0, float[] x, int xo, int ldx, float[] y, int yo, int ldy, float[] g, int go, int ldg,
                       RowOutputs out) {
        if (yt != null) {
            LaneTile.toTile(y, yo + i0 * ldy, ldy, k, yt, perm, yRows);
        }
        if (rowTemperatures) {   // else invT (or capInvT) holds 1/T since the constructor
            float[] rowInvT = cap > 0 ? capInvT : invT;
            for (int r = 0; r < L; r++) {
                rowInvT[r] = (float) (1.0 / s.temperature(i0 + r));
            }
        }
        if (s.stats) {
            rawArgmax(i0, out);   // before the soft-cap: the statistics follow the raw logits
        }
        if (cap > 0 && !capTile(g != null)) {
            scalarGroup(i0, x, xo, ldx, y, yo, ldy, g, go, ldg, out);
            return;
        }
        // zs is not kept: the options that need it compute it again (generalSums), and the finish
        // recomputes the target's from xt (the same operations, the same bits).
        boolean sums = s.needSum || s.stats;   // generalSums then takes e itself, with the sums
        int first = LaneTile.forward(xt, sums ? null : et, k, invT, mArr, lessArr, below);
        if (first == LaneTile.SCALAR) {
            scalarGroup(i0, x, xo, ldx, y, yo, ldy, g, go, ldg, out);
            return;
        }
        if (sums) {
            generalSums();
        } else {
            // The common case: d − 1 from the sum below the max and the ties.
            if (first == LaneTile.EXACT) {
                LaneTile.expExact(xt, et, k, invT, mArr, lessArr, below);
            }
            LaneTile.dm1(lessArr, below, k, dm1);
        }
        logAndInverse(dm1, logd, invd);

        // The loss, lse and the gradient constants in lanes; the statistics, when asked for, row by
        // row beside them (asking for them changes neither the loss nor the gradient).
        finishLanes(i0, out);
        if (s.stats) {
            stats(i0, out);
        }
        if (g == null) {
            return;
        }
        // The gradient in vectors across the rows (into zt, free now), then back into the rows.
        if (!s.needSum && cap == 0 && (gRows != null || rowOf != null)) {
            // e·alpha straight into the rows (dense: in memory order, each vector gathered from
            // the tile; else scattered by columns), then the targets' entries.
            if (rowOf != null && !gather) {   // e again from x: the tile would take a gather per vector
                LaneTile.expScaledRows(x, xo + i0 * ldx, g, go + i0 * ldg, k, invT, !rowTemperatures && invT0 == 1f,
                        mArr, alpha, rowOf, sums || first == LaneTile.EXACT);
            } else if (rowOf != null) {
                LaneTile.tileScaledRows(et, g, go + i0 * ldg, k, alpha, rowOf, perm);
            } else {
                LaneTile.scaledFromTile(et, alpha, g, go + i0 * ldg, k, gRows);
            }
            if (s.hard) {
                if (tOutSet) {
                    // One scatter (finishLanes set tOut; ignored rows' column 0, zeroed below).
                    FloatVector.fromArray(S, lanes2, 0).intoArray(g, go + i0 * ldg, tOut, 0);
                }
                for (int r = 0; r < L; r++) {
                    int t = s.targets[i0 + r];
                    int gr = go + (i0 + r) * ldg;
                    if (t == s.ignore) {
                        java.util.Arrays.fill(g, gr, gr + k, 0f);
                    } else if (!tOutSet) {
                        g[gr + t] = lanes2[r];
                    }
                }
            }
            return;
        }
        if (s.needSum) {
            generalGradient();
        } else {
            scaleTile(et, alpha, k, zt);
        }
        if (s.hard) {
            for (int r = 0; r < L; r++) {
                int t = s.targets[i0 + r];
                if (t != s.ignore) {
                    zt[t * L + r] = lanes2[r];
                }
            }
        }
        if (cap > 0) {
            for (int j = 0; j < k * L; j += L) {   // ∂loss/∂z times ∂z/∂x
                FloatVector.fromArray(S, zt, j).mul(FloatVector.fromArray(S, dzt, j)).intoArray(zt, j);
            }
        }
        if (rowOf != null && gather) {
            LaneTile.tileRows(zt, g, go + i0 * ldg, k, perm);   // dense: in memory order
        } else {
            LaneTile.fromTile(zt, g, go + i0 * ldg, ldg, k, perm, gRows);
        }
        if (s.hard) {
            for (int r = 0; r < L; r++) {
                if (s.targets[i0 + r] == s.ignore) {
                    int gr = go + (i0 + r) * ldg;
                    java.util.Arrays.fill(g, gr, gr + k, 0f);
                }
            }
        }
    }

    /** The group's rows one by one on the scalar kernel (a NaN or infinite logit: its semantics). */
    private void scalarGroup(int i0, float[] x, int xo, int ldx, float[] y, int yo, int ldy, float[] g, int go, int ldg,
                             RowOutputs out) {
        for (int q = 0; q < L; q++) {
            int i = i0 + q;
            scalar.xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg, out);
        }
    }

    /**
     * The soft-cap over the group's tile, in place: z = c·tanh(x·(1/T)/c) ({@link VectorExp#tanh},
     * rounded to float as {@code VectorKernels#softcapRow} rounds it, so a row's z has the same bits
     * either way) and, with a gradient, ∂z/∂x = (1 − tanh)(1 + tanh)/T into {@link #dzt}. False
     * when some logit of the group is NaN or infinite: the group then goes to the scalar kernel,
     * whose semantics such rows keep (the tile is reloaded for the next group anyway).
     */
    private boolean capTile(boolean grad) {
        final FloatVector vit = FloatVector.fromArray(S, capInvT, 0);
        final float invC = 1f / cap;
        IntVector mag = IntVector.zero(I);
        for (int j = 0; j < k * L; j += L) {
            FloatVector x = FloatVector.fromArray(S, xt, j);
            mag = mag.max(((IntVector) x.reinterpretAsInts()).and(0x7FFFFFFF));
            FloatVector th = VectorExp.tanh(x.mul(vit).mul(invC));
            th.mul(cap).intoArray(xt, j);
            if (grad) {
                FloatVector.broadcast(S, 1f).sub(th).mul(th.add(1f)).mul(vit).intoArray(dzt, j);
            }
        }
        return mag.reduceLanes(VectorOperators.MAX) < 0x7F800000;
    }

    /**
     * e into its tile again (zs is not kept) and, per row, d − 1 and the sums that smoothing, soft
     * targets and the statistics need (the less common options: masks are fine here).
     */
    private void generalSums() {
        final FloatVector vit = FloatVector.fromArray(S, invT, 0);
        final FloatVector m = FloatVector.fromArray(S, mArr, 0);
        final float oneMinusEps = (float) (1 - s.eps);
        final float smooth = (float) s.smooth;
        FloatVector less = FloatVector.zero(S);
        FloatVector ties = FloatVector.zero(S);
        FloatVector sa = FloatVector.zero(S);
        FloatVector ta = FloatVector.zero(S);
        FloatVector se = FloatVector.zero(S);
        for (int j = 0; j < k; j++) {
            FloatVector zs = FloatVector.fromArray(S, xt, j * L).mul(vit).sub(m);
            FloatVector e = VectorExp.exp(zs);
            e.intoArray(et, j * L);
            VectorMask<Float> lt = zs.compare(VectorOperators.LT, 0f);
            less = less.add(e, lt);
            ties = ties.add(1f, lt.not());
            if (s.needSum) {
                FloatVector a;
                float wj = s.w != null ? s.w[j] : 1f;
                if (s.hard) {
                    a = FloatVector.broadcast(S, wj);
                } else {
                    a = FloatVector.fromArray(S, yt, j * L).fma(oneMinusEps, smooth).mul(wj);
                    ta = ta.add(a);
                }
                sa = sa.add(a.mul(zs.neg()), a.compare(VectorOperators.NE, 0f));
            }
            if (s.stats) {
                se = se.add(e.mul(zs.neg()), e.compare(VectorOperators.NE, 0f));
            }
        }
        less.add(ties.sub(1f)).intoArray(dm1, 0);   // ties − 1 first: exact, no cancellation
        sa.intoArray(sumA, 0);
        ta.intoArray(totalA, 0);
        se.intoArray(sumE, 0);
    }

    /** log d = log1p(d − 1) and 1/d per row. */
    private static void logAndInverse(float[] dm1, float[] logd, float[] invd) {
        FloatVector v = FloatVector.fromArray(S, dm1, 0);
        VectorLog1p.log1p(v).intoArray(logd, 0);
        FloatVector.broadcast(S, 1f).div(v.add(1f)).intoArray(invd, 0);
    }

    /** dst = src · (a per row), over the k columns of a tile. */
    private static void scaleTile(float[] src, float[] a, int k, float[] dst) {
        FloatVector va = FloatVector.fromArray(S, a, 0);
        for (int j = 0; j < k; j++) {
            FloatVector.fromArray(S, src, j * L).mul(va).intoArray(dst, j * L);
        }
    }

    /** The gradient tile with smoothing or soft targets: e·alpha − beta·a_j, into zt. */
    private void generalGradient() {
        final float oneMinusEps = (float) (1 - s.eps);
        final float smooth = (float) s.smooth;
        FloatVector va = FloatVector.fromArray(S, alpha, 0);
        FloatVector vb = FloatVector.fromArray(S, beta, 0);
        for (int j = 0; j < k; j++) {
            FloatVector e = FloatVector.fromArray(S, et, j * L);
            FloatVector gj;
            if (s.hard) {
                gj = e.mul(va).sub(vb.mul(smooth * (s.w != null ? s.w[j] : 1f)));
            } else {
                FloatVector a = FloatVector.fromArray(S, yt, j * L).fma(oneMinusEps, smooth).mul(s.w != null ? s.w[j] : 1f);
                gj = e.mul(va).sub(vb.mul(a));
            }
            gj.intoArray(zt, j * L);
        }
    }

    /**
     * The ends of the L rows at once in float32 lanes: the loss parts, lse, alpha, beta and the
     * target entries (the statistics, when asked for, come from {@link #stats}).
     */
    private void finishLanes(int i0, RowOutputs out) {
        tOutSet = false;
        final FloatVector m = FloatVector.fromArray(S, mArr, 0);
        final FloatVector vit = FloatVector.fromArray(S, invT, 0);
        final FloatVector vdm1 = FloatVector.fromArray(S, dm1, 0);
        final float[] zsT = lane;
        final float[] eT = lanes2;
        final float[] h = hArr;
        final float[] rs = lessArr;      // free after d − 1
        final float[] wt = beta;         // overwritten below
        FloatVector vh;
        FloatVector vwt;
        FloatVector vr;
        if (s.hard && s.w == null && !rowScales) {
            // The common case: w_t = 1, and h, w_t and the row scale are constants on counted rows,
            // set in lanes (eight scalar stores read back as one vector wait for the stores to
            // retire: 7% of a group at K = 10, measured).
            IntVector tv = IntVector.fromArray(I, s.targets, i0);
            VectorMask<Integer> cnt = tv.compare(VectorOperators.NE, s.ignore);
            VectorMask<Float> cf = cnt.cast(S);
            FloatVector zero = FloatVector.zero(S);
            if (targetGather) {
                // Each row's target entry of x and e by one gather each (ignored rows read column 0
                // and count 0), and, with rows moved by gathers, where the scatter of the target
                // gradients goes (tIdx, tOut; gRows is null otherwise).
                IntVector col = tv.blend(0, cnt.not());
                col.mul(L).add(IntVector.fromArray(I, IOTA, 0)).intoArray(tIdx, 0);
                if (gRows != null) {
                    col.add(IntVector.fromArray(I, gRows, 0)).intoArray(tOut, 0);
                    tOutSet = true;
                }
                FloatVector.fromArray(S, xt, 0, tIdx, 0).mul(vit).sub(m).blend(zero, cf.not()).intoArray(zsT, 0);
                FloatVector.fromArray(S, et, 0, tIdx, 0).blend(zero, cf.not()).intoArray(eT, 0);
            } else {
                for (int r = 0; r < L; r++) {
                    int t = s.targets[i0 + r];
                    boolean counted = t != s.ignore;
                    zsT[r] = counted ? xt[t * L + r] * invT[r] - mArr[r] : 0f;
                    eT[r] = counted ? et[t * L + r] : 0f;
                }
            }
            vwt = zero.blend(1f, cf);
            vh = zero.blend((float) (1 - s.eps), cf);
            vr = zero.blend(rs0, cf);
        } else {
            for (int r = 0; r < L; r++) {
                int i = i0 + r;
                int t = s.hard ? s.targets[i] : -1;
                boolean counted = !s.hard || t != s.ignore;
                zsT[r] = counted && s.hard ? xt[t * L + r] * invT[r] - mArr[r] : 0f;
                eT[r] = counted && s.hard ? et[t * L + r] : 0f;
                wt[r] = counted && s.hard ? (float) s.weight(t) : 0f;
                h[r] = (float) ((1 - s.eps) * wt[r]);
                rs[r] = rowScales ? s.task.rowScale(i) : (counted ? rs0 : 0f);
            }
            vh = FloatVector.fromArray(S, h, 0);
            vwt = FloatVector.fromArray(S, wt, 0);
            vr = FloatVector.fromArray(S, rs, 0);
        }
        FloatVector ld = FloatVector.fromArray(S, logd, 0);
        FloatVector id = FloatVector.fromArray(S, invd, 0);
        FloatVector lse = m.add(ld);
        FloatVector vzsT = FloatVector.fromArray(S, zsT, 0);
        FloatVector nlpT = ld.sub(vzsT);
        float smooth = (float) s.smooth;
        float wSum = (float) s.wSum;
        FloatVector ce;
        FloatVector bigA;
        if (s.hard) {
            // A zero coefficient counts 0 even when p_t = 0 (a masked target): 0·∞ would be NaN.
            ce = vh.mul(nlpT).blend(0f, vh.compare(VectorOperators.EQ, 0f));
            if (s.eps != 0) {
                ce = ce.add(FloatVector.fromArray(S, sumA, 0).add(ld.mul(wSum)).mul(smooth));
            }
            bigA = vh.add(smooth * wSum);
        } else {
            FloatVector ta = FloatVector.fromArray(S, totalA, 0);
            ce = FloatVector.fromArray(S, sumA, 0).add(ta.mul(ld));
            bigA = ta;
        }
        if (s.hard) {
            // Ignored rows: ce 0. Told by their targets: a counted row can have h = 0 (ε = 1) and a
            // row scale of 0 (sample weight 0) too, and keeps its ce (+∞ with a masked class,
            // which the sample weight's 0 then turns into NaN, as on the other paths).
            VectorMask<Float> ignored = IntVector.fromArray(I, s.targets, i0).compare(VectorOperators.EQ, s.ignore).cast(S);
            ce = ce.blend(0f, ignored);
        }
        ce.intoArray(out.ce, i0);
        lse.intoArray(out.lse, i0);
        FloatVector coefA = vr.mul((float) s.ceScale);
        FloatVector coefZ = vr.mul((float) (s.zScale * 2 * s.zeta)).mul(lse);
        FloatVector alphaV = coefA.fma(bigA, coefZ).mul(id).mul(vit);
        alphaV.intoArray(alpha, 0);
        if (s.hard) {
            FloatVector veT = FloatVector.fromArray(S, eT, 0);
            FloatVector pT = veT.mul(id);
            // p_t − 1 = −(Σ_{j≠t} e_j)/d: dm1 when t is a maximum (z_t − m = 0), else d − e_t.
            FloatVector others = vdm1.add(1f).sub(veT).blend(vdm1, vzsT.compare(VectorOperators.EQ, 0f));
            FloatVector gz = coefA.mul(pT.mul(wSum).sub(vwt).mul(smooth).sub(vh.mul(others).mul(id))).add(coefZ.mul(pT));
            gz.mul(vit).intoArray(lanes2, 0);
        }
        coefA.mul(vit).intoArray(beta, 0);
    }

    /**
     * Per row of a tile's group, the column of its largest entry (the first of equal ones, as
     * the scalar kernel's strict comparison takes it) in {@code arg}'s lanes, and that entry into
     * {@code best} when not null: the group's rows at once, rather than a strided scan per row
     * (which took half the time of a call with statistics at 262144×10).
     */
    private FloatVector argmaxLanes(float[] tile, float[] best, int bestAt) {
        FloatVector b = FloatVector.fromArray(S, tile, 0);
        FloatVector a = FloatVector.zero(S);
        for (int j = 1; j < k; j++) {
            FloatVector v = FloatVector.fromArray(S, tile, j * L);
            VectorMask<Float> gt = v.compare(VectorOperators.GT, b);
            b = b.blend(v, gt);
            a = a.blend((float) j, gt);
        }
        if (best != null) {
            b.intoArray(best, bestAt);
        }
        return a;
    }

    /** Each row's largest raw logit and its column into out. */
    private void rawArgmax(int i0, RowOutputs out) {
        LaneTile.toInt(argmaxLanes(xt, out.max, i0)).intoArray(out.argmax, i0);
    }

    /**
     * The rest of the statistics of the group's rows into out (after {@link #rawArgmax}, and
     * {@link #finishLanes}, which wrote their loss and lse): the entropy Σ e·(m − z)/d + log d
     * (one fma, the exact value rounded once), in lanes; the target's probability and the hit
     * row by row (a soft target's column is its largest entry).
     */
    private void stats(int i0, RowOutputs out) {
        FloatVector id = FloatVector.fromArray(S, invd, 0);
        FloatVector.fromArray(S, sumE, 0).fma(id, FloatVector.fromArray(S, logd, 0)).intoArray(out.entropy, i0);
        if (yt != null) {
            argmaxLanes(yt, null, 0).intoArray(argY, 0);
        }
        for (int r = 0; r < L; r++) {
            final int i = i0 + r;
            final int t = s.hard ? s.targets[i] : (int) argY[r];
            if (!s.hard || t != s.ignore) {
                out.targetProb[i] = et[t * L + r] * invd[r];   // a float product: the float64 one, rounded
                out.hit[i] = out.argmax[i] == t;
            } else {
                out.targetProb[i] = Float.NaN;
                out.hit[i] = false;
            }
        }
    }
}
