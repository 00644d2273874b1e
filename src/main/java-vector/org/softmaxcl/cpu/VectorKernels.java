package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.PartsPasses.inParts;
import static org.softmaxcl.cpu.PartsPasses.partEnd;
import static org.softmaxcl.cpu.PartsPasses.partStart;
import static org.softmaxcl.cpu.PartsPasses.partsRowMax;
import static org.softmaxcl.cpu.PartsPasses.partsSums;
import static org.softmaxcl.cpu.PartsPasses.runParts;
import static org.softmaxcl.cpu.PartsPasses.runWhole;
import static org.softmaxcl.cpu.RowPass.BACKWARD_K;
import static org.softmaxcl.cpu.RowPass.BLOCK;
import static org.softmaxcl.cpu.RowPass.SEGMENT;
import static org.softmaxcl.cpu.RowPass.lanes;
import static org.softmaxcl.cpu.RowPass.logRange;
import static org.softmaxcl.cpu.RowPass.maxOf;
import static org.softmaxcl.cpu.RowPass.pass2;
import static org.softmaxcl.cpu.RowPass.scaleInPlace;
import static org.softmaxcl.cpu.RowPass.scaleRow;
import static org.softmaxcl.cpu.RowPass.segmentEnd;
import static org.softmaxcl.cpu.RowPass.softmaxTail;
import static org.softmaxcl.cpu.RowPass.splitPass2;
import static org.softmaxcl.cpu.RowPass.tailExp;
import static org.softmaxcl.cpu.RowSums.finish;
import static org.softmaxcl.cpu.RowSums.finishRow;
import static org.softmaxcl.cpu.RowSums.log1p;
import static org.softmaxcl.cpu.RowSums.targetGrad;
import static org.softmaxcl.cpu.VectorExp.S;
import static org.softmaxcl.cpu.XentPasses.capRow;
import static org.softmaxcl.cpu.XentPasses.chain;
import static org.softmaxcl.cpu.XentPasses.indexOf;
import static org.softmaxcl.cpu.XentPasses.passTail;
import static org.softmaxcl.cpu.XentPasses.smoothGrad;
import static org.softmaxcl.cpu.XentPasses.smoothPass;
import static org.softmaxcl.cpu.XentPasses.softGrad;
import static org.softmaxcl.cpu.XentPasses.softPass;
import static org.softmaxcl.cpu.XentPasses.softTargetColumn;
import static org.softmaxcl.cpu.XentPasses.statsPass;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.cpu.RowPass.Row;

/**
 * Row kernels on the Vector API (Java 17 incubator), chosen when {@code jdk.incubator.vector} is
 * readable. Same formulas as {@link ScalarKernels}, arranged so each element costs one exp and the
 * row is read from memory once and written once while it stays in cache:
 * <ol>
 *   <li>max of the raw logits (exact, any order); in a batch under PROPAGATE, read during the
 *       previous row's pass 2, so that the row streams in from memory while that row computes
 *       ({@link #pipelined});</li>
 *   <li>e_j = exp(z_j − m) stored into the output row, and the sums (d − 1 from the terms below
 *       the max plus the ties, the loss's weighted sums) in float lanes, folded into float64 every
 *       {@value RowPass#BLOCK} elements in a fixed lane order (deterministic, and long rows keep
 *       their digits);</li>
 *   <li>the output from the stored e_j: one multiply (plus one fma for smoothing or soft targets).</li>
 * </ol>
 * Rows with a NaN, +∞ or only −∞ (only reached under the PROPAGATE policy or for ignored rows),
 * soft-capped rows with statistics and rows shorter than two vectors go to the scalar kernels;
 * other soft-capped rows run these passes on z = c·tanh(x/(T·c)) ({@link #softcapRow}).
 *
 * <p>This class holds the choices (lanes or rows, whole rows, rows split over threads, rows in
 * parts) and each row's set-up and finish; the loops are elsewhere: pass 2 and the scaling of a
 * row in {@link RowPass}, the cross-entropy's options and soft-cap in {@link XentPasses}, a
 * batch in parts in {@link PartsPasses}, rows of small K on vector lanes in
 * {@link SmallRowsKernel}, {@link SmallRowsSoftmax} and {@link SmallRowsBackward}.
 */
final class VectorKernels implements CpuKernels {
    static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /**
     * Rows of at least this K may be split over threads, in segments: below it the three
     * hand-offs to the pool cost more than the second thread saves (2 threads, paired: softmax
     * 1×262144 0.25–0.35 ms whole against 0.38–0.42 split, 1×1048576 1.5–1.8 against 1.1–1.2).
     */
    static final int SPLIT_MIN_K = 16 * SEGMENT;
    private static final int MIN_K = 2 * L;

    /** Tuning switches for {@link #XENT_LANES_K} and {@link #SOFTMAX_LANES_K} (read once). */
    static final String XENT_LANES_PROPERTY = "softmaxcl.cpu.xentLanesK", SOFTMAX_LANES_PROPERTY = "softmaxcl.cpu.softmaxLanesK";
    /**
     * The fused cross-entropy puts rows on vector lanes ({@link SmallRowsKernel}) below this K, a
     * row at a time from it on. The lanes cost two transposes per element, the rows a fixed cost
     * per row (several horizontal reductions, the finish); measured on AVX2 (1 thread, N·K = 2^20,
     * Gelem/s rows → lanes): K = 16 0.16 → 0.23-0.37, 32 0.28 → 0.40-0.45, 48 0.38 → 0.50,
     * 64 0.30-0.39 → 0.27: eight vectors a row. On AVX-512 (2-core Xeon, 2 threads, N·K = 2^23,
     * JarPair, time lanes / rows): K = 64 0.58, 80 0.65, 100 0.72, 127 0.79, 128 0.93, 160 0.94,
     * 200 0.97, 256 1.16, 384 1.48: eight vectors a row again (16 lanes, K = 128), with rows moved
     * into lanes by gathers. Where they move element by element ({@link LaneTile#GATHER_PROPERTY};
     * 2-core AMD EPYC Zen 4, AVX-512, 2 threads, N·K = 2^22, JarPair, time rows / lanes): K = 64
     * 1.12, 72 1.28, 88 1.03, 100 0.90, 112 0.75, so six vectors a row (K = 96) there. Softmax:
     * see {@link #SOFTMAX_LANES_K}. The system property {@value #XENT_LANES_PROPERTY} overrides
     * it for measurements (clamped to 2..{@code CpuBackend.SMALL_K}, which is at least either).
     */
    static final int XENT_LANES_K = lanesK(XENT_LANES_PROPERTY, Math.max(MIN_K, laneRowVectors() * L));
    /**
     * Softmax and log-softmax put rows on vector lanes ({@link SmallRowsSoftmax}) below this K.
     * With less to do per row than the cross-entropy, rows took over sooner on AVX2 (8 lanes: at
     * K = 48 both ways measured the same), so there from two vectors a row on; on AVX-512 (2-core
     * Xeon, 2 threads, N·K = 2^23, JarPair, time lanes / rows) K = 32 0.53, 48 0.71, 64 0.72
     * (REFUSE 0.75), 100 0.88, 127 0.93: eight vectors a row, as the cross-entropy; with element
     * moves (Zen 4, as above, time rows / lanes) K = 64 1.22, 72 1.32, 88 0.95, 100 0.71, 112
     * 0.63: six vectors a row, as the cross-entropy there. Overridden by
     * {@value #SOFTMAX_LANES_PROPERTY}, as {@link #XENT_LANES_K}.
     */
    static final int SOFTMAX_LANES_K = lanesK(SOFTMAX_LANES_PROPERTY, L >= 16 ? laneRowVectors() * L : MIN_K);

    /** Vectors a row below which rows go on lanes: 6 with 16 lanes moved element by element, else 8. */
    private static int laneRowVectors() {
        return L >= 16 && !LaneTile.gatherByDefault() ? 6 : 8;
    }

    /** The property's value, or byDefault when unset or not an integer, clamped to 2..CpuBackend.SMALL_K. */
    static int lanesK(String property, int byDefault) {
        return Math.max(2, Math.min(CpuBackend.SMALL_K, Integer.getInteger(property, byDefault)));
    }

    /**
     * Whether the rows of s go on vector lanes ({@link SmallRowsKernel}): below
     * {@link #XENT_LANES_K}, whatever the options (smoothing and soft targets, paired as above
     * once their dense gradients left the tile by gathers: K = 64 0.59 and 0.90, K = 100 0.66 and
     * 0.81 the time of rows).
     */
    private static boolean onLanes(XentSpec s) {
        return s.k < XENT_LANES_K;
    }

    private final ScalarKernels scalar = new ScalarKernels();
    /** How the small-K kernels move rows into their tiles ({@link LaneTile#GATHER_PROPERTY}). */
    private final boolean laneGather;
    /** Whether the small-K cross-entropy reads its target entries by gathers with element moves too ({@link LaneTile#TARGET_GATHER}). */
    private final boolean targetGather;

    VectorKernels() {
        this(LaneTile.gatherByDefault());
    }

    /** @param laneGather whether the small-K kernels move rows by gathers and scatters (same bits either way) */
    VectorKernels(boolean laneGather) {
        this(laneGather, LaneTile.TARGET_GATHER);
    }

    /**
     * @param laneGather   as above
     * @param targetGather whether the small-K cross-entropy reads each row's target entries from
     *                     its tile by gathers where rows move element by element (with laneGather
     *                     it always does; the same bits either way)
     */
    VectorKernels(boolean laneGather, boolean targetGather) {
        this.laneGather = laneGather;
        this.targetGather = targetGather;
    }

    @Override
    public String name() {
        return "vector-" + S.vectorBitSize();
    }

    /**
     * 2^17: on a 2-vCPU VM a parked pool thread takes about 60 µs to start, and calls of 41K–128K
     * elements (44–96 µs on one thread) took 1.10–1.16× the time on two (a late helper's chunk
     * ends after the caller would have), while from 164K elements two threads took 0.64–0.92×
     * (bench/RESULTS.md).
     */
    @Override
    public long parallelMinElements() {
        return 1L << 17;
    }

    @Override
    public String detail() {
        String vendor = CpuVendor.id();
        return "rows below K = " + XENT_LANES_K + " (softmax " + SOFTMAX_LANES_K + ") on lanes, moved "
                + (laneGather ? "by gathers" : "element by element") + "; CPU " + (vendor.isEmpty() ? "vendor unknown" : vendor);
    }

    @Override
    public float rowMax(float[] x, int xo, int k) {
        return maxOf(x, xo, k);
    }

    @Override
    public int maxAbsBits(float[] x, int xo, int len) {
        IntVector acc = IntVector.zero(I);
        int j = 0;
        for (int ub = S.loopBound(len); j < ub; j += L) {
            acc = acc.max(((IntVector) FloatVector.fromArray(S, x, xo + j).reinterpretAsInts()).and(0x7FFFFFFF));
        }
        int m = acc.reduceLanes(VectorOperators.MAX);
        for (; j < len; j++) {
            m = Math.max(m, Float.floatToRawIntBits(x[xo + j]) & 0x7FFFFFFF);
        }
        return m;
    }

    @Override
    public boolean allValidTargets(float[] x, int xo, int len) {
        IntVector hi = IntVector.broadcast(I, Integer.MIN_VALUE);
        IntVector lo = IntVector.broadcast(I, Integer.MAX_VALUE);
        int j = 0;
        for (int ub = S.loopBound(len); j < ub; j += L) {
            IntVector b = (IntVector) FloatVector.fromArray(S, x, xo + j).reinterpretAsInts();
            hi = hi.max(b);
            lo = lo.min(b.sub(1));
        }
        int h = hi.reduceLanes(VectorOperators.MAX);
        int l = lo.reduceLanes(VectorOperators.MIN);
        for (; j < len; j++) {
            int b = Float.floatToRawIntBits(x[xo + j]);
            h = Math.max(h, b);
            l = Math.min(l, b - 1);
        }
        return CpuKernels.validTargetBits(h, l);
    }

    @Override
    public float rowMin(float[] x, int xo, int k) {
        int j = 0;
        float m = Float.POSITIVE_INFINITY;
        if (k >= L) {
            FloatVector acc = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
            for (int ub = S.loopBound(k); j < ub; j += L) {
                acc = acc.min(FloatVector.fromArray(S, x, xo + j));
            }
            m = acc.reduceLanes(VectorOperators.MIN);
        }
        for (; j < k; j++) {
            m = Math.min(m, x[xo + j]);
        }
        return m;
    }

    @Override
    public void softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log) {
        softmaxRow(x, xo, out, oo, k, temperature, log, rowMax(x, xo, k), null, 0, false);
    }

    /**
     * {@link #softmaxRow} with the row's largest raw logit {@code xmax} known. When {@code nx} is
     * not null, also returns the largest of the next row nx[nxo..nxo+k), read while this row's
     * exps run (the next row streams in from memory during this row's arithmetic instead of in a
     * pass of its own); otherwise returns NaN.
     */
    private float softmaxRow(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log, float xmax,
                             float[] nx, int nxo, boolean backward) {
        if (k < MIN_K || !Float.isFinite(xmax)) {
            scalar.softmaxRow(x, xo, out, oo, k, temperature, log);
            return nx != null ? rowMax(nx, nxo, k) : Float.NaN;
        }
        float invT = (float) (1.0 / temperature);
        float m = xmax * invT;
        float[] tmp = new float[L];
        Row r = new Row();
        r.next(x, xo, nx, nxo);
        r.backward = backward && k >= BACKWARD_K;
        int ub = S.loopBound(k);
        float[] tail = ub < k ? tailExp(x, xo, k, invT, m) : null;
        pass2(x, xo, log ? null : out, oo, ub, invT, m, r, tmp);
        softmaxTail(x, xo, out, oo, ub, k, invT, m, log, r, tail);
        float nextMax = r.nextMax(ub, k);
        double dm1 = r.less + (r.ties - 1);
        if (log) {
            logRange(x, xo, out, oo, 0, k, invT, m, (float) log1p(dm1));
        } else {
            scaleRow(out, oo, k, (float) (1.0 / (1.0 + dm1)), r);
        }
        return nextMax;
    }

    /**
     * One row split over the backend's threads in segments (few rows of large K), its largest raw
     * logit {@code xmax} known: pass 2 and the output each segment by segment in parallel, with
     * d − 1's segment sums added in order: the same bits as {@link #softmaxRow}.
     */
    @Override
    public void softmaxRowSplit(float[] x, int xo, float[] out, int oo, int k, float temperature, boolean log, float xmax,
                                Parallel par) {
        if (!splitsRows(k) || !Float.isFinite(xmax)) {
            softmaxRow(x, xo, out, oo, k, temperature, log, xmax, null, 0, false);
            return;
        }
        int ub = S.loopBound(k);
        int segments = (ub + SEGMENT - 1) / SEGMENT;
        float invT = (float) (1.0 / temperature);
        float m = xmax * invT;
        float[] tail = ub < k ? tailExp(x, xo, k, invT, m) : null;
        Row r = splitPass2(x, xo, log ? null : out, oo, ub, segments, invT, m, par);
        softmaxTail(x, xo, out, oo, ub, k, invT, m, log, r, tail);
        double dm1 = r.less + (r.ties - 1);
        float logd = (float) log1p(dm1);
        float f = (float) (1.0 / (1.0 + dm1));
        par.run(segments, j -> {
            int b0 = j * SEGMENT;
            int b1 = segmentEnd(j, segments, k);
            if (log) {
                logRange(x, xo, out, oo, b0, b1, invT, m, logd);
            } else {
                scaleInPlace(out, oo + b0, b1 - b0, f);
            }
        });
    }

    @Override
    public boolean splitsRows(int k) {
        return k >= SPLIT_MIN_K;
    }

    @Override
    public boolean splitsRows(XentSpec s) {
        return s.k >= SPLIT_MIN_K && s.softcap == 0 && !s.needSum && !s.stats;
    }

    /**
     * The common case of {@link #xentRow} (hard targets, no smoothing, no statistics) split over
     * threads in segments as {@link #softmaxRowSplit} is, the row's largest raw logit {@code xmax}
     * known: the same bits as the row whole.
     */
    @Override
    public void xentRowSplit(XentSpec s, int i, float[] x, int xo, float[] g, int go, RowOutputs out, float xmax,
                             Parallel par) {
        if (!splitsRows(s) || !Float.isFinite(xmax)) {
            xentRow(s, i, x, xo, null, 0, g, go, out, xmax, null, 0, false);
            return;
        }
        final int k = s.k;
        final int ub = S.loopBound(k);
        final int segments = (ub + SEGMENT - 1) / SEGMENT;
        final float invT = (float) (1.0 / s.temperature(i));
        final float m = xmax * invT;
        final int t = s.targets[i];
        final boolean counted = t != s.ignore;
        // Read before pass 2, which may overwrite x (in place).
        final float zsT = counted ? x[xo + t] * invT - m : 0f;
        final float[] ge = g != null && counted ? g : null;
        Row r = splitPass2(x, xo, ge, go, ub, segments, invT, m, par);
        r.invT = invT;
        r.xmax = xmax;
        r.m = m;
        r.zsT = zsT;
        r.elementPass(s, x, xo, null, 0, ge, go, ub, k);
        if (!finishRow(s, i, t, counted, r, out, g, go)) {
            return;
        }
        float alpha = r.alpha;
        par.run(segments, j -> {
            int b0 = j * SEGMENT;
            scaleInPlace(g, go + b0, segmentEnd(j, segments, k) - b0, alpha);
        });
        g[go + t] = targetGrad(s, t, r);
    }

    @Override
    public void backwardRow(float[] y, int yo, float[] g, int go, float[] dx, int dxo, int k, boolean log) {
        if (k < MIN_K) {
            scalar.backwardRow(y, yo, g, go, dx, dxo, k, log);
            return;
        }
        float[] tmp = new float[L];
        int ub = S.loopBound(k);
        double acc = 0;
        for (int b = 0; b < ub; b += BLOCK) {
            int be = Math.min(ub, b + BLOCK);
            FloatVector a = FloatVector.zero(S);
            for (int j = b; j < be; j += L) {
                FloatVector gv = FloatVector.fromArray(S, g, go + j);
                a = log ? a.add(gv) : gv.fma(FloatVector.fromArray(S, y, yo + j), a);
            }
            acc += lanes(a, tmp);
        }
        for (int j = ub; j < k; j++) {
            acc += log ? g[go + j] : (double) g[go + j] * y[yo + j];
        }
        float s = (float) acc;
        FloatVector vs = FloatVector.broadcast(S, s);
        int j = 0;
        for (; j < ub; j += L) {
            FloatVector gv = FloatVector.fromArray(S, g, go + j);
            FloatVector yv = FloatVector.fromArray(S, y, yo + j);
            FloatVector r = log ? VectorExp.expAny(yv).fma(vs.neg(), gv) : yv.mul(gv.sub(vs));
            r.intoArray(dx, dxo + j);
        }
        for (; j < k; j++) {
            dx[dxo + j] = log ? Math.fma(FloatExp.expAny(y[yo + j]), -s, g[go + j]) : y[yo + j] * (g[go + j] - s);
        }
    }

    /** Below two vectors a row, whole groups of rows on lanes ({@link SmallRowsBackward}), the rest row by row. */
    @Override
    public void backwardRows(int r0, int r1, float[] y, int yo, int ldy, float[] g, int go, int ldg, float[] dx, int dxo,
                             int lddx, int k, boolean log) {
        int done = r0;
        if (k < MIN_K) {
            done = new SmallRowsBackward(k, laneGather).backward(r0, r1, y, yo, ldy, g, go, ldg, dx, dxo, lddx, log);
        }
        CpuKernels.super.backwardRows(done, r1, y, yo, ldy, g, go, ldg, dx, dxo, lddx, k, log);
    }

    @Override
    public void xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out) {
        xentRow(s, i, x, xo, y, yo, g, go, out, s.rowMax != null ? s.rowMax[i] : rowMax(x, xo, s.k), null, 0, false);
    }

    /**
     * {@link #xentRow} with the row's largest raw logit {@code xmax} known; with a next row
     * {@code nx} (only in the common case: see {@link #pipelined}) returns its maximum, read
     * during this row's pass 2, as {@link #softmaxRow(float[], int, float[], int, int, float,
     * boolean, float, float[], int)} does; otherwise NaN.
     */
    private float xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                          float xmax, float[] nx, int nxo, boolean backward) {
        final int k = s.k;
        if (k < MIN_K || s.softcap > 0 || !Float.isFinite(xmax)) {
            if (s.softcap > 0 && k >= MIN_K && Float.isFinite(xmax)) {
                softcapRow(s, i, x, xo, y, yo, g, go, out, xmax);
            } else {
                scalar.xentRow(s, i, x, xo, y, yo, g, go, out);
            }
            return nx != null ? rowMax(nx, nxo, k) : Float.NaN;
        }
        return xentRow(s, i, x, xo, y, yo, g, go, out, xmax, (float) (1.0 / s.temperature(i)), nx, nxo, backward);
    }

    /** Per thread, the soft-cap's z and ∂z/∂x of a row ({@link #softcapRow}). */
    private static final ThreadLocal<float[][]> CAPPED = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * A row with a soft-cap c whose raw logits have a finite max {@code xmax} (rows with a NaN,
     * +∞ or only −∞ keep the scalar kernels' semantics): z_j = c·tanh(x_j/(T·c)) ({@link VectorExp#tanh}) and
     * ∂z_j/∂x_j = (1 − tanh²)/T into per-thread rows, the cross-entropy of z at T = 1 as any other
     * row's (its gradient is then ∂loss/∂z), and that gradient times ∂z/∂x. z is rounded to float,
     * as the OpenCL kernels round it; the scalar kernels keep it in float64. The statistics' max,
     * argmax and hit follow the raw logits (a saturating cap ties z), as the scalar kernels'.
     */
    private void softcapRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                            float xmax) {
        final int k = s.k;
        int rawArg = 0;
        int tcol = s.hard ? s.targets[i] : -1;
        if (s.stats) {   // before the pass: g may be x (in place)
            rawArg = indexOf(x, xo, k, xmax);
            if (!s.hard) {
                tcol = softTargetColumn(y, yo, k);
            }
        }
        float[][] rows = CAPPED.get();
        if (rows[0].length < k) {
            rows[0] = new float[k];
            rows[1] = new float[k];
        }
        final float[] z = rows[0];
        final float[] dz = rows[1];
        final float invT = (float) (1.0 / s.temperature(i));
        final float zmax = capRow(x, xo, k, invT, (float) s.softcap, z, dz);
        if (!Float.isFinite(zmax)) {
            scalar.xentRow(s, i, x, xo, y, yo, g, go, out);
            return;
        }
        xentRow(s, i, z, 0, y, yo, g, go, out, zmax, 1f, null, 0, false);
        if (s.stats) {
            RowSums.rawStats(s, i, out, xmax, rawArg, tcol);
        }
        if (g != null && (!s.hard || s.targets[i] != s.ignore)) {
            chain(g, go, dz, k);
        }
    }

    /** {@link #xentRow} with the row's 1/T given (1 for a soft-capped row's z). */
    private float xentRow(XentSpec s, int i, float[] x, int xo, float[] y, int yo, float[] g, int go, RowOutputs out,
                          float xmax, float rowInvT, float[] nx, int nxo, boolean backward) {
        final int k = s.k;
        final Row r = new Row();
        r.next(x, xo, nx, nxo);
        r.backward = backward && k >= BACKWARD_K;
        final int t = s.hard ? s.targets[i] : -1;
        final boolean counted = !s.hard || t != s.ignore;
        r.start(s, t, counted, x, xo, xmax, rowInvT, s.stats ? indexOf(x, xo, k, xmax) : 0,
                s.stats && !s.hard ? softTargetColumn(y, yo, k) : -1);
        final float invT = r.invT;
        final float m = r.m;

        // Pass 2: e_j = exp(z_j − m) into g, and the sums.
        // Each case has a pass of its own (see smoothPass on why they are not one loop), the row's
        // tail included.
        final float[] e = g != null && counted ? g : null;
        final boolean soft = !s.hard;
        final boolean needSum = s.needSum;
        final float[] tmp = new float[L];
        final int ub = S.loopBound(k);
        final float[] tail = ub < k ? tailExp(x, xo, k, invT, m) : null;
        if (s.stats) {
            statsPass(s, x, xo, y, yo, e, go, invT, m, tail, r, tmp);
        } else if (soft) {
            softPass(s, x, xo, y, yo, e, go, invT, m, tail, r, tmp);
        } else if (needSum) {
            smoothPass(s, x, xo, e, go, invT, m, tail, r, tmp);
        } else {
            // The common case (hard targets, no smoothing, no statistics).
            pass2(x, xo, e, go, ub, invT, m, r, tmp);
            passTail(s, x, xo, null, 0, e, go, invT, m, tail, r);
        }
        final float nextMax = r.nextMax(ub, k);
        if (!finishRow(s, i, t, counted, r, out, g, go)) {
            return nextMax;
        }

        // Pass 3, from the e_j stored in g.
        final float alpha = r.alpha;
        final float beta = r.beta;
        if (!needSum) {
            scaleRow(g, go, k, alpha, r);
        } else if (s.hard) {
            smoothGrad(g, go, k, alpha, beta * (float) s.smooth, s.w);
        } else {
            softGrad(s, g, go, y, yo, alpha, beta);
        }
        if (s.hard) {
            g[go + t] = targetGrad(s, t, r);
        }
        return nextMax;
    }

    /**
     * Rows of at least this K run in parts over the threads ({@link #xentRowParts}). Whole, a
     * row's pass 2 reads it, writes its e_j and reads the next row, 12 bytes per element: past
     * about 170000 elements that is more than a 2 MiB L2, and the scaling pass reads the gradient
     * back from memory; in halves on two cores it is not. Measured on the 2-core Xeon (JarPair,
     * 2 threads, time against the whole rows, controls beside): 64×262144 0.89–0.97 (controls
     * 0.94–1.06); 128×131072 0.96 and 1.00 (controls 1.02, 0.98), 256×65536 1.00 (control 0.94):
     * no gain where the whole row fits. A single row of 262144: 0.11–0.12 ms against 0.16–0.19
     * whole on one thread.
     */
    static final int PARTS_MIN_K = Integer.getInteger("softmaxcl.cpu.partsMinK", 6 * SEGMENT);

    @Override
    public RowParts rowParts(int k, int rows, int threads) {
        int segments = (S.loopBound(k) + SEGMENT - 1) / SEGMENT;
        int parts = Math.min(threads, segments);
        if (k < PARTS_MIN_K || rows < 1 || parts < 2) {
            return null;
        }
        return new RowParts(rows, parts, segments, L);
    }

    @Override
    public boolean partsRows(XentSpec s) {
        return partsRows(s.k) && s.hard && s.softcap == 0 && !s.needSum && !s.stats;
    }

    @Override
    public boolean partsRows(int k) {
        return k >= PARTS_MIN_K;
    }

    /**
     * {@link #softmaxRows} over every row of a batch in parts, as {@link #xentRowParts} runs the
     * cross-entropy: the same bits as {@link #softmaxRow} row by row.
     */
    @Override
    public void softmaxRowParts(float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                                java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                                RowParts team) {
        final int ub = S.loopBound(k);
        inParts(team, (i, p, mine, tmp) -> {
            final float xmax = partsRowMax(team, p, i, maxima, x, xo, k);
            final int xoi = xo + i * ldx;
            final int ooi = oo + i * ldo;
            final boolean hasNext = maxima == null && i + 1 < team.rows;
            final float temperature = (float) temperatures.applyAsDouble(i);
            if (!Float.isFinite(xmax)) {
                runWhole(team, i, () -> softmaxRow(x, xoi, out, ooi, k, temperature, log, xmax, hasNext ? x : null,
                        xoi + ldx, false));
                return;
            }
            final float invT = (float) (1.0 / temperature);
            final float m = xmax * invT;
            if (!runParts(team, p, i, mine, x, xoi, log ? null : out, ooi, hasNext ? x : null, xoi + ldx, k, ub, invT, m,
                    -1, tmp)) {
                return;
            }
            final Row r = partsSums(team, i, ub, k);
            double dm1 = r.less + (r.ties - 1);
            float logd = (float) log1p(dm1);
            float f = (float) (1.0 / (1.0 + dm1));
            for (int q = 0; q < team.parts; q++) {
                if (mine[q]) {
                    int lo = partStart(team, q);
                    int hi = partEnd(team, q, k);
                    if (log) {
                        logRange(x, xoi, out, ooi, lo, hi, invT, m, logd);
                    } else {
                        scaleInPlace(out, ooi + lo, hi - lo, f);
                    }
                }
            }
        });
    }

    /**
     * One thread's share of a batch run in parts ({@link RowParts}): for every row, pass 2 over
     * its own part (the next row's largest value read in the same range, as {@link #pipelined}
     * rows do), then any part nobody has claimed, then, once every part is done, the row's sums
     * in the whole row's order (segments in order, then the tail), its finish, and the scaling of
     * the parts it ran: the same bits as {@link #xentRow} row by row. A row whose largest logit
     * is not finite is run whole by the thread that claims its part 0.
     */
    @Override
    public void xentRowParts(XentSpec s, float[] x, int xo, int ldx, float[] g, int go, int ldg, RowOutputs out,
                             RowParts team) {
        final int k = s.k;
        final int ub = S.loopBound(k);
        inParts(team, (i, p, mine, tmp) -> {
            final float xmax = partsRowMax(team, p, i, s.rowMax, x, xo, k);
            final int xoi = xo + i * ldx;
            final int goi = go + i * ldg;
            final boolean hasNext = s.rowMax == null && i + 1 < team.rows;
            final int t = s.targets[i];
            final boolean counted = t != s.ignore;
            if (!Float.isFinite(xmax)) {
                runWhole(team, i, () -> xentRow(s, i, x, xoi, null, 0, g, goi, out, xmax, hasNext ? x : null, xoi + ldx,
                        false));
                return;
            }
            final float invT = (float) (1.0 / s.temperature(i));
            final float m = xmax * invT;
            if (!runParts(team, p, i, mine, x, xoi, counted ? g : null, goi, hasNext ? x : null, xoi + ldx, k, ub, invT, m,
                    counted ? t : -1, tmp)) {
                return;
            }
            final Row r = partsSums(team, i, ub, k);
            r.invT = invT;
            r.xmax = xmax;
            r.m = m;
            r.zsT = counted ? team.zsT[i] : 0f;
            finish(s, i, t, counted, r, mine[0] ? out : null);
            for (int q = 0; q < team.parts && g != null; q++) {
                if (!mine[q]) {
                    continue;
                }
                int lo = partStart(team, q);
                int hi = partEnd(team, q, k);
                if (!counted) {
                    java.util.Arrays.fill(g, goi + lo, goi + hi, 0f);
                    continue;
                }
                scaleInPlace(g, goi + lo, hi - lo, r.alpha);
                if (t >= lo && t < hi) {
                    g[goi + t] = targetGrad(s, t, r);
                }
            }
        });
    }

    /** True for every K: rows on lanes ({@link #SOFTMAX_LANES_K}) take their maxima in the tiles, longer rows read each during the row before. */
    @Override
    public boolean readsMaximaAhead(int k) {
        return true;
    }

    /** Also true for rows on lanes ({@link #onLanes}): the tiles take their rows' maxima themselves, and would not read kept ones. */
    @Override
    public boolean readsMaximaAhead(XentSpec s) {
        return onLanes(s) || pipelined(s);
    }

    /**
     * Whether rows go through the common case of pass 2 ({@link RowPass#expBlock}) with the next row's
     * maximum read alongside: long rows, hard targets without smoothing or statistics, and no
     * maxima already known from the REFUSE check.
     */
    private static boolean pipelined(XentSpec s) {
        return s.k >= MIN_K && s.softcap == 0 && !s.needSum && !s.stats && s.rowMax == null;
    }

    /**
     * Small K: {@link SmallRowsSoftmax}, lanes on rows; the rest of the range row by row, each
     * row's max read during the row before (the first one's from {@code firstMax} when known, the
     * row {@code ahead}'s during the last row).
     */
    @Override
    public float softmaxRows(int r0, int r1, float[] x, int xo, int ldx, float[] out, int oo, int ldo, int k,
                             java.util.function.IntToDoubleFunction temperatures, boolean log, float[] maxima,
                             float firstMax, int ahead) {
        int done = r0;
        if (k < SOFTMAX_LANES_K) {
            done = new SmallRowsSoftmax(k, laneGather).softmax(r0, r1, x, xo, ldx, out, oo, ldo, temperatures, log, scalar);
        }
        if (done >= r1) {
            return Float.NaN;
        }
        // Without the REFUSE check's maxima, each row's max comes from the previous row's pass.
        boolean pipelined = maxima == null;
        float next = pipelined ? firstRowMax(firstMax, done == r0, x, xo + done * ldx, k) : 0f;
        for (int i = done; i < r1; i++) {
            int nr = i + 1 < r1 ? i + 1 : ahead;
            boolean more = pipelined && nr >= 0;
            float xmax = pipelined ? next : maxima[i];
            next = softmaxRow(x, xo + i * ldx, out, oo + i * ldo, k, (float) temperatures.applyAsDouble(i), log, xmax,
                    more ? x : null, xo + nr * ldx, pipelined && ((i - done) & 1) == 0);
        }
        return pipelined && ahead >= 0 ? next : Float.NaN;
    }

    /** The first row's max: {@code known} when it was read ahead (not NaN) and is for this row, else a pass of its own. */
    private float firstRowMax(float known, boolean isFirst, float[] x, int xo, int k) {
        return isFirst && !Float.isNaN(known) ? known : rowMax(x, xo, k);
    }

    /**
     * Small K ({@link #onLanes}): {@link SmallRowsKernel} puts each vector lane on a row
     * instead of a column; ranges that are not whole groups of lanes end with the scalar kernel.
     * Larger K in the common case ({@link #pipelined}): each row's max read during the row before,
     * as in {@link #softmaxRows}.
     */
    @Override
    public float xentRows(XentSpec s, int r0, int r1, float[] x, int xo, int ldx, float[] y, int yo, int ldy,
                          float[] g, int go, int ldg, RowOutputs out, float firstMax, int ahead) {
        if (pipelined(s) && !onLanes(s)) {
            if (r0 >= r1) {
                return Float.NaN;
            }
            float next = firstRowMax(firstMax, true, x, xo + r0 * ldx, s.k);
            for (int i = r0; i < r1; i++) {
                int nr = i + 1 < r1 ? i + 1 : ahead;
                next = xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg,
                        out, next, nr >= 0 ? x : null, xo + nr * ldx, ((i - r0) & 1) == 0);
            }
            return ahead >= 0 ? next : Float.NaN;
        }
        if (!onLanes(s)) {
            return CpuKernels.super.xentRows(s, r0, r1, x, xo, ldx, y, yo, ldy, g, go, ldg, out, firstMax, ahead);
        }
        int done = new SmallRowsKernel(s, scalar, laneGather, targetGather).xent(r0, r1, x, xo, ldx, y, yo, ldy, g, go, ldg, out);
        for (int i = done; i < r1; i++) {
            scalar.xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg, out);
        }
        return Float.NaN;
    }
}
