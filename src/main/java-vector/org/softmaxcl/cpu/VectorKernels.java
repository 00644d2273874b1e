package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.RowSums.accumulate;
import static org.softmaxcl.cpu.RowSums.finish;
import static org.softmaxcl.cpu.RowSums.finishRow;
import static org.softmaxcl.cpu.RowSums.log1p;
import static org.softmaxcl.cpu.RowSums.targetGrad;
import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import org.softmaxcl.backend.RowOutputs;

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
 *       {@value #BLOCK} elements in a fixed lane order (deterministic, and long rows keep their
 *       digits);</li>
 *   <li>the output from the stored e_j: one multiply (plus one fma for smoothing or soft targets).</li>
 * </ol>
 * Rows with a NaN, +∞ or only −∞ (only reached under the PROPAGATE policy or for ignored rows),
 * soft-capped rows with statistics and rows shorter than two vectors go to the scalar kernels;
 * other soft-capped rows run these passes on z = c·tanh(x/(T·c)) ({@link #softcapRow}).
 */
final class VectorKernels implements CpuKernels {
    static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int BLOCK = 2048;
    /**
     * Pass 2 sums d − 1's terms per segment of this many floats, then the segments in order, so
     * that a row split over threads segment by segment ({@link #softmaxRowSplit},
     * {@link #xentRowSplit}) gives the same bits as the row whole.
     */
    static final int SEGMENT = 16 * BLOCK;
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

    VectorKernels() {
        this(LaneTile.gatherByDefault());
    }

    /** @param laneGather whether the small-K kernels move rows by gathers and scatters (same bits either way) */
    VectorKernels(boolean laneGather) {
        this.laneGather = laneGather;
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

    /** The largest of x[xo..xo+k) as Math.max has it (NaN if any, +0 above −0). */
    static float maxOf(float[] x, int xo, int k) {
        int j = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (k >= L) {
            // Integer keys (maxKey) and the largest magnitude beside them (a NaN's is above ∞'s):
            // one-cycle integer operations, where the float max of JDK 17 is a compare-and-blend
            // sequence of several.
            IntVector key = IntVector.broadcast(I, Integer.MIN_VALUE);
            IntVector mag = IntVector.zero(I);
            for (int ub = S.loopBound(k); j < ub; j += L) {
                FloatVector v = FloatVector.fromArray(S, x, xo + j);
                key = key.max(maxKey(v));
                mag = mag.max(((IntVector) v.reinterpretAsInts()).and(0x7FFFFFFF));
            }
            if (mag.reduceLanes(VectorOperators.MAX) > 0x7F800000) {
                return Float.NaN;
            }
            m = fromMaxKey(key.reduceLanes(VectorOperators.MAX));
        }
        for (; j < k; j++) {
            m = Math.max(m, x[xo + j]);
        }
        return m;
    }

    /**
     * A float's bits with the low 31 flipped when it is negative: these order as signed ints as
     * the floats do (−0 below +0, as Math.max has it; a NaN with the sign bit clear above +∞,
     * one with it set below −∞), so a running max of them is one integer max per vector with a
     * one-cycle dependency between iterations (a float compare and blend, on JDK 17's masks, put
     * about ten cycles between one iteration's maximum and the next).
     */
    static IntVector maxKey(FloatVector v) {
        IntVector b = (IntVector) v.reinterpretAsInts();
        return b.lanewise(VectorOperators.XOR, b.lanewise(VectorOperators.ASHR, 31).and(0x7FFFFFFF));
    }

    /** The float whose {@link #maxKey} is {@code key}. */
    static float fromMaxKey(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7FFFFFFF));
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

    /** Sum of the lanes in lane order, in float64. */
    private static double lanes(FloatVector v, float[] tmp) {
        v.intoArray(tmp, 0);
        double s = 0;
        for (int l = 0; l < L; l++) {
            s += tmp[l];
        }
        return s;
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
     * e^(x_j·invT − m) for the row's last L elements, j in [k − L, k), by one vector ({@link
     * VectorExp#exp}: the same bits as its scalar form, x·invT − m rounded as the scalar code
     * rounds it), for the row's tail [ub, k) that pass 2's vectors do not reach. Read before pass
     * 2, which may overwrite the row (in place). A tail of up to L − 1 scalar exponentials took
     * 6 % of softmax's time at K = 1000 (JFR, 2 threads).
     */
    private static float[] tailExp(float[] x, int xo, int k, float invT, float m) {
        float[] e = new float[L];
        FloatVector zs = FloatVector.fromArray(S, x, xo + k - L).mul(invT).sub(m);
        VectorExp.exp(zs).intoArray(e, 0);
        return e;
    }

    /**
     * Softmax's pass 2 over the row's scalar tail [ub, k): e_j (from {@link #tailExp}'s lanes) into
     * out (unless log), and d − 1's terms.
     */
    private static void softmaxTail(float[] x, int xo, float[] out, int oo, int ub, int k, float invT, float m, boolean log,
                                    Row r, float[] tail) {
        for (int j = ub; j < k; j++) {
            float zs = x[xo + j] * invT - m;
            float ej = tail[j - (k - L)];
            if (!log) {
                out[oo + j] = ej;
            }
            r.term(zs, ej);
        }
    }

    /** Log-softmax's output over [from, to) of a row: (x·invT − m) − log d (from a multiple of L). */
    private static void logRange(float[] x, int xo, float[] out, int oo, int from, int to, float invT, float m, float logd) {
        FloatVector vinvT = FloatVector.broadcast(S, invT);
        FloatVector negM = FloatVector.broadcast(S, -m);
        FloatVector vl = FloatVector.broadcast(S, logd);
        int j = from;
        for (int ub = from + S.loopBound(to - from); j < ub; j += L) {
            FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM).sub(vl).intoArray(out, oo + j);
        }
        for (; j < to; j++) {
            out[oo + j] = (x[xo + j] * invT - m) - logd;
        }
    }

    /**
     * Pass 2 ({@link #expBlock}) over [0, ub) of a row, segment by segment: d − 1's terms summed
     * within each {@link #SEGMENT} from 0 (into r.less), then the segments' sums in order.
     */
    private static void pass2(float[] x, int xo, float[] e, int eo, int ub, float invT, float m, Row r, float[] tmp) {
        if (r.backward) {
            pass2Backward(x, xo, e, eo, ub, invT, m, r, tmp);
            return;
        }
        double sum = 0;
        for (int b0 = 0; b0 < ub; b0 += SEGMENT) {
            r.less = 0;
            segment(x, xo, e, eo, b0, Math.min(ub, b0 + SEGMENT), invT, m, r, tmp);
            sum += r.less;
        }
        r.less = sum;
    }

    /**
     * {@link #pass2} visiting the blocks from the row's end back to its start, each block's sum
     * kept and the sums then added as pass2 adds them (within each segment from 0, then the
     * segments in order): the same bits. See {@link #BACKWARD_K}.
     */
    private static void pass2Backward(float[] x, int xo, float[] e, int eo, int ub, float invT, float m, Row r,
                                      float[] tmp) {
        int blocks = (ub + BLOCK - 1) / BLOCK;
        double[] part = new double[blocks];
        for (int q = blocks - 1; q >= 0; q--) {
            r.less = 0;
            expBlock(x, xo, e, eo, q * BLOCK, Math.min(ub, (q + 1) * BLOCK), invT, m, r, tmp);
            part[q] = r.less;
        }
        int perSegment = SEGMENT / BLOCK;
        double sum = 0;
        for (int q0 = 0; q0 < blocks; q0 += perSegment) {
            double seg = 0;
            for (int q = q0; q < Math.min(blocks, q0 + perSegment); q++) {
                seg += part[q];
            }
            sum += seg;
        }
        r.less = sum;
    }

    /**
     * Pass 3's scaling of a row's stored e_j, run against the direction of its pass 2 when the row
     * is long ({@link #BACKWARD_K}): the lines pass 2 wrote last, still in cache, first.
     */
    private static void scaleRow(float[] a, int o, int k, float f, Row r) {
        if (k >= BACKWARD_K && !r.backward) {
            scaleBackward(a, o, k, f);
        } else {
            scaleInPlace(a, o, k, f);
        }
    }

    /** {@link #expBlock} over the blocks of [b0, b1), adding to r.less and r.ties. */
    private static void segment(float[] x, int xo, float[] e, int eo, int b0, int b1, float invT, float m, Row r,
                                float[] tmp) {
        if (e == null) {
            expExact(x, xo, null, 0, b0, b1, invT, m, r, tmp);   // the same blocks, in one call
            return;
        }
        for (int b = b0; b < b1; b += BLOCK) {
            expBlock(x, xo, e, eo, b, Math.min(b1, b + BLOCK), invT, m, r, tmp);
        }
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

    /**
     * {@link #pass2} with its segments in parallel: each segment's d − 1 terms from 0, then the
     * segments' sums added in order, as pass2 adds them (the same bits). Returns a Row holding
     * them; nothing is read ahead.
     */
    private static Row splitPass2(float[] x, int xo, float[] e, int eo, int ub, int segments, float invT, float m,
                                  Parallel par) {
        double[] less = new double[segments];
        long[] ties = new long[segments];
        par.run(segments, j -> {
            Row rj = new Row();
            rj.next(x, xo, null, 0);
            segment(x, xo, e, eo, j * SEGMENT, Math.min(ub, (j + 1) * SEGMENT), invT, m, rj, new float[L]);
            less[j] = rj.less;
            ties[j] = rj.ties;
        });
        Row r = new Row();
        for (int j = 0; j < segments; j++) {
            r.less += less[j];
            r.ties += ties[j];
        }
        return r;
    }

    /** The end of segment j of a row of k split in {@code segments}: the last one takes the scalar tail. */
    private static int segmentEnd(int j, int segments, int k) {
        return j + 1 < segments ? (j + 1) * SEGMENT : k;
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

    /**
     * Rows of at least this K run pass 2 from their end back to their start every other row, and
     * pass 3 against pass 2's direction. A row this long (256 KiB and more) does not stay in the
     * core's cache between its passes (the next row streams in beside it), so a pass that starts
     * where the one before ended finds that part still in cache: pass 2 starts where the previous
     * row's pass 2 read this row's maximum last, pass 3 where pass 2 wrote last.
     */
    static final int BACKWARD_K = 2 * SEGMENT;

    /** {@link #scaleInPlace} from the row's end back to its start. */
    private static void scaleBackward(float[] a, int o, int k, float f) {
        int ub = S.loopBound(k);
        for (int j = ub; j < k; j++) {
            a[o + j] *= f;
        }
        FloatVector vf = FloatVector.broadcast(S, f);
        for (int j = ub - L; j >= 0; j -= L) {
            FloatVector.fromArray(S, a, o + j).mul(vf).intoArray(a, o + j);
        }
    }

    private static void scaleInPlace(float[] a, int o, int k, float f) {
        FloatVector vf = FloatVector.broadcast(S, f);
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector.fromArray(S, a, o + j).mul(vf).intoArray(a, o + j);
        }
        for (; j < k; j++) {
            a[o + j] *= f;
        }
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

    /** A row's {@link RowSums}, and what pass 2 needs to read the next row's max on the side. */
    private static final class Row extends RowSums {
        /** The row whose maximum pass 2 reads on the side (this row's own when there is no next). */
        float[] nx;
        int nxo;
        boolean hasNext;
        /** Whether pass 2 visits the row's blocks from its end ({@link #BACKWARD_K}). */
        boolean backward;
        /** Max of nx over the blocks done so far. */
        float nmax = Float.NEGATIVE_INFINITY;

        void next(float[] x, int xo, float[] nx, int nxo) {
            hasNext = nx != null;
            this.nx = hasNext ? nx : x;
            this.nxo = hasNext ? nxo : xo;
        }

        /**
         * Adds the next row's largest value over [b, be), from a pass-2 loop's lanes: {@code max}
         * from integer keys ({@link #maxKey}), exact (±0 in Math.max's order) but for NaN, which
         * it may miss; {@code zeros} is the sum of those values times 0, NaN when one was NaN or
         * ±∞, in which case the block is read again with Math.max.
         */
        void nextBlock(float max, float zeros, int b, int be) {
            nmax = Math.max(nmax, !Float.isNaN(zeros) ? max : maxOf(nx, nxo + b, be - b));
        }

        /** The next row's maximum once pass 2 has covered [0, ub): the tail [ub, k) added; NaN without a next row. */
        float nextMax(int ub, int k) {
            if (!hasNext) {
                return Float.NaN;
            }
            float mx = nmax;
            for (int j = ub; j < k; j++) {
                mx = Math.max(mx, nx[nxo + j]);
            }
            return mx;
        }
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

    /**
     * The first j with x_j == v (−0 equal to +0), v a value of the row (its max): a vector compare
     * per L elements, then the one vector that holds it element by element (a scalar scan took
     * a tenth of a call with statistics at 16384×1000).
     */
    private static int indexOf(float[] x, int xo, int k, float v) {
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
    private static int softTargetColumn(float[] y, int yo, int k) {
        return indexOf(y, yo, k, maxOf(y, yo, k));
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

    /**
     * z_j = c·tanh(x_j·invT/c) and dz_j = (1 − tanh)(1 + tanh)·invT for j in [0, k), k ≥ L;
     * returns max z (NaN if some z is). A counted loop and a last overlapping vector: the same
     * work as one loop that clamped its last offset and left from its middle, which C2 (JDK 17)
     * compiled with every constant of tanh boxed (a float[] per vector; 36 young collections
     * where the plain loss has 12, 0.45 → 0.72 Gelem/s at 16384×1000). z's max is taken here
     * too: {@link #maxOf} inlined into {@link #softcapRow} was boxed at 2048×32000.
     */
    private static float capRow(float[] x, int xo, int k, float invT, float c, float[] z, float[] dz) {
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
    private static FloatVector capVector(float[] x, int xo, int at, float invT, float invC, float c, float[] z, float[] dz) {
        FloatVector u = FloatVector.fromArray(S, x, xo + at).mul(invT).mul(invC);
        FloatVector th = VectorExp.tanh(u);
        FloatVector zv = th.mul(c);
        zv.intoArray(z, at);
        FloatVector.broadcast(S, 1f).sub(th).mul(th.add(1f)).mul(invT).intoArray(dz, at);
        return zv;
    }

    /** g_j ·= dz_j over [0, k). */
    private static void chain(float[] g, int go, float[] dz, int k) {
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector.fromArray(S, g, go + j).mul(FloatVector.fromArray(S, dz, j)).intoArray(g, go + j);
        }
        for (; j < k; j++) {
            g[go + j] *= dz[j];
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
     * All ones in the lanes where zs (≤ 0) is below 0, 0 where it is +0 (a tie with the max: x − m
     * rounds to +0). A −0 (a −0 logit beside a +0 max) counts as below with e = 1: the same d.
     */
    private static IntVector below(FloatVector zs) {
        return ((IntVector) zs.reinterpretAsInts()).lanewise(VectorOperators.ASHR, 31);
    }

    /**
     * e where {@code below} is set, +0 at the ties: summed, the terms of d − 1 without a mask
     * (the lane sum of {@code below} counts −1 per element below the max).
     */
    private static FloatVector lessPart(FloatVector e, IntVector below) {
        return (FloatVector) ((IntVector) e.reinterpretAsInts()).and(below).reinterpretAsFloats();
    }

    /**
     * Pass 2 of the common case over the elements [b, be) of a row: e_j = exp(zs_j), zs_j =
     * x_j·invT − m, into {@code g} (unless null), and the block's terms of d − 1 added to r.less
     * and r.ties. With a gradient to write it runs the fast {@link VectorExp#expNormal} and, when
     * some zs fell below its range, the block again with the exact exp; in place (g is x) that
     * rerun would read the e_j already written, so there the block is scanned for such zs first.
     *
     * <p>Each loop has a method of its own and makes its vectors itself (no vector parameters):
     * C2 inlines only so much into one compilation, and an operation left out of line, or on a
     * vector argument of a method it did not inline, falls back to boxed Java code. The loops are
     * bound by their instruction count more than by any one unit, so at T = 1 they skip the
     * multiply by 1/T (a loop-invariant test, which C2 takes out of the loop by unswitching it),
     * and the next row's max is taken as {@link Row#nextBlock} says.
     */
    private static void expBlock(float[] x, int xo, float[] g, int go, int b, int be, float invT, float m,
                                 Row r, float[] tmp) {
        if (g != null && !(g == x && go == xo && tinyIn(x, xo, b, be, invT, m))
                && expFast(x, xo, g, go, b, be, invT, m, r, tmp)) {
            return;
        }
        expExact(x, xo, g, go, b, be, invT, m, r, tmp);
    }

    /** Whether some zs = x·invT − m over [b, be) lies below the range of {@link VectorExp#expNormal}. */
    private static boolean tinyIn(float[] x, int xo, int b, int be, float invT, float m) {
        FloatVector vinvT = FloatVector.broadcast(S, invT);
        FloatVector negM = FloatVector.broadcast(S, -m);
        IntVector tiny = IntVector.broadcast(I, Integer.MIN_VALUE);
        for (int j = b; j < be; j += L) {
            tiny = tiny.max(VectorExp.tinyKey(FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM)));
        }
        return tiny.reduceLanes(VectorOperators.MAX) > VectorExp.TINY_KEY;
    }

    /** {@link #expBlock} on the fast exp; returns false, adding nothing, when some zs was below its range. */
    private static boolean expFast(float[] x, int xo, float[] g, int go, int b, int be, float invT, float m,
                                   Row r, float[] tmp) {
        FloatVector vinvT = FloatVector.broadcast(S, invT);
        FloatVector negM = FloatVector.broadcast(S, -m);
        FloatVector accL = FloatVector.zero(S);
        IntVector accB = IntVector.zero(I);
        IntVector tiny = IntVector.broadcast(I, Integer.MIN_VALUE);
        IntVector accM = IntVector.broadcast(I, Integer.MIN_VALUE);
        FloatVector accZ = FloatVector.zero(S);
        FloatVector zero = FloatVector.zero(S);
        boolean unit = invT == 1f;
        float[] nx = r.nx;
        int nxo = r.nxo;
        for (int j = b; j < be; j += L) {
            FloatVector nv = FloatVector.fromArray(S, nx, nxo + j);
            accM = accM.max(maxKey(nv));
            accZ = nv.fma(zero, accZ);
            FloatVector xv = FloatVector.fromArray(S, x, xo + j);
            FloatVector zs = (unit ? xv : xv.mul(vinvT)).add(negM);
            FloatVector e = VectorExp.expNormal(zs);
            e.intoArray(g, go + j);
            IntVector below = below(zs);
            accL = accL.add(lessPart(e, below));
            accB = accB.add(below);
            tiny = tiny.max(VectorExp.tinyKey(zs));
        }
        if (tiny.reduceLanes(VectorOperators.MAX) > VectorExp.TINY_KEY) {
            return false;
        }
        if (r.hasNext) {
            r.nextBlock(fromMaxKey(accM.reduceLanes(VectorOperators.MAX)), accZ.reduceLanes(VectorOperators.ADD), b, be);
        }
        r.less += lanes(accL, tmp);
        r.ties += (be - b) + accB.reduceLanes(VectorOperators.ADD);
        return true;
    }

    /**
     * {@link #expBlock} on the exact exp over the blocks of [b0, b1) ({@code g} may be null: loss
     * only, log-softmax), each block's sums added as expBlock adds them. Over the blocks rather
     * than one, it is over 325 bytes of bytecode, so that C2 compiles it alone (see
     * {@link #smoothPass}): inlined into a row's compilation it could outgrow C2's inlining budget,
     * and log-softmax then ran 0.24–0.5 Gelem/s instead of about 1.5 in some JVMs (16384×1000,
     * 2 threads: the vectors of this loop boxed).
     */
    private static void expExact(float[] x, int xo, float[] g, int go, int b0, int b1, float invT, float m,
                                 Row r, float[] tmp) {
        final FloatVector vinvT = FloatVector.broadcast(S, invT);
        final FloatVector negM = FloatVector.broadcast(S, -m);
        final FloatVector zero = FloatVector.zero(S);
        final boolean unit = invT == 1f;
        final float[] nx = r.nx;
        final int nxo = r.nxo;
        for (int b = b0; b < b1; b += BLOCK) {
            final int be = Math.min(b1, b + BLOCK);
            FloatVector accL = FloatVector.zero(S);
            IntVector accB = IntVector.zero(I);
            IntVector accM = IntVector.broadcast(I, Integer.MIN_VALUE);
            FloatVector accZ = FloatVector.zero(S);
            for (int j = b; j < be; j += L) {
                FloatVector nv = FloatVector.fromArray(S, nx, nxo + j);
                accM = accM.max(maxKey(nv));
                accZ = nv.fma(zero, accZ);
                FloatVector xv = FloatVector.fromArray(S, x, xo + j);
                FloatVector zs = (unit ? xv : xv.mul(vinvT)).add(negM);
                FloatVector e = VectorExp.exp(zs);
                if (g != null) {
                    e.intoArray(g, go + j);
                }
                IntVector below = below(zs);
                accL = accL.add(lessPart(e, below));
                accB = accB.add(below);
            }
            if (r.hasNext) {
                r.nextBlock(fromMaxKey(accM.reduceLanes(VectorOperators.MAX)), accZ.reduceLanes(VectorOperators.ADD), b,
                        be);
            }
            r.less += lanes(accL, tmp);
            r.ties += (be - b) + accB.reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * Pass 2 of a row with hard targets and smoothing, its vectors block by block, then its tail: e_j (into
     * {@code e} unless null), d − 1's terms, and Σ a_j·(m − z_j) with a_j = w_j (1 without class
     * weights) into r.sumA; a zero coefficient against a −∞ logit counts 0, not NaN. The same sums
     * in the same lanes and order as the statistics' loop in {@link #xentRow}, so the same bits.
     *
     * <p>A method of its own that takes the whole row rather than a block: at over 325 bytes of
     * bytecode C2 never inlines it into xentRow (FreqInlineSize), so it is compiled alone and its
     * vector operations all fit C2's inlining budget; inlined into xentRow they did not, and the
     * loop's vectors were boxed (10× slower: 0.17–0.22 Gelem/s at 16384×1000 on 2 threads).
     */
    private static void smoothPass(XentSpec s, float[] x, int xo, float[] e, int eo, float invT, float m, float[] tail,
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
    private static void softPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT,
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
    private static void statsPass(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT,
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
     * The row's scalar tail [ub, k) after pass 2's vectors: e_j from {@link #tailExp}'s lanes (into
     * {@code e} unless null) and its sums, element by element ({@link RowSums#accumulate}; y: soft targets).
     */
    private static void passTail(XentSpec s, float[] x, int xo, float[] y, int yo, float[] e, int eo, float invT, float m,
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
    private static void smoothGrad(float[] g, int go, int k, float alpha, float bs, float[] w) {
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
    private static void softGrad(XentSpec s, float[] g, int go, float[] y, int yo, float alpha, float beta) {
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
     * Row i's largest raw logit in a batch run in parts: the REFUSE check's when kept, else read
     * during row i − 1's pass 2 (in parts; waits for that row), or for the first row, in parts
     * of its own, this thread's first and then any left unclaimed (x at xo: the first row).
     */
    private static float partsRowMax(RowParts team, int p, int i, float[] maxima, float[] x, int xo, int k) {
        if (maxima != null) {
            return maxima[i];
        }
        if (i == 0) {
            for (int c = 0; c < team.parts; c++) {
                int q = (p + c) % team.parts;
                if (team.claimFirstMax(q)) {
                    int lo = partStart(team, q);
                    team.firstMax[q] = maxOf(x, xo + lo, partEnd(team, q, k) - lo);
                    team.doneFirstMax(q);
                }
            }
            return team.awaitFirstMax();
        }
        team.await(i - 1);
        float xmax = Float.NEGATIVE_INFINITY;
        for (int q = 0; q < team.parts; q++) {
            xmax = Math.max(xmax, team.nextMax[(i - 1) * team.parts + q]);
        }
        return xmax;
    }

    /**
     * Claims part 0 of row i, whose largest logit is not finite, and every other part, and runs
     * the row whole with {@code whole} (which returns the next row's max); nothing when another
     * thread has part 0. Every thread sees the same max, and only ever tries part 0 of such a row.
     */
    private static void runWhole(RowParts team, int i, java.util.function.DoubleSupplier whole) {
        if (!team.claim(i, 0)) {
            return;
        }
        for (int q = 1; q < team.parts; q++) {
            team.claim(i, q);
        }
        float nm = (float) whole.getAsDouble();
        for (int q = 0; q < team.parts; q++) {
            team.nextMax[i * team.parts + q] = q == 0 ? nm : Float.NEGATIVE_INFINITY;
            team.done(i, q);
        }
    }

    /** Row i's sums in the whole row's order (segments in order, then the tail) into a new Row, once every part is done. */
    private static Row partsSums(RowParts team, int i, int ub, int k) {
        team.await(i);
        final Row r = new Row();
        double sum = 0;
        for (int seg = 0; seg < team.segments; seg++) {
            sum += team.segmentSums[i * team.segments + seg];
        }
        r.less = sum;
        for (int q = 0; q < team.parts; q++) {
            r.ties += team.ties[i * team.parts + q];
        }
        for (int j = ub; j < k; j++) {
            r.term(team.tailZ[i * team.tail + j - ub], team.tailE[i * team.tail + j - ub]);
        }
        return r;
    }

    /** The elements [lo, hi) of a row that part q covers. */
    private static int partStart(RowParts team, int q) {
        return team.firstSegment(q) * SEGMENT;
    }

    private static int partEnd(RowParts team, int q, int k) {
        return q + 1 < team.parts ? team.firstSegment(q + 1) * SEGMENT : k;
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

    /** One row of a batch in parts, on the thread that prefers part p (scratch: {@code mine}, {@code tmp}). */
    private interface PartsRow {
        void run(int i, int p, boolean[] mine, float[] tmp);
    }

    /**
     * This thread's way through a batch in parts: joins {@code team} (a thread beyond its parts
     * returns at once) and runs {@code row} on every row of which some part is left to claim.
     */
    private static void inParts(RowParts team, PartsRow row) {
        final int p = team.join();
        if (p >= team.parts) {
            return;
        }
        final float[] tmp = new float[L];
        final boolean[] mine = new boolean[team.parts];
        for (int i = 0; i < team.rows; i++) {
            if (!team.allClaimed(i)) {
                row.run(i, p, mine, tmp);
            }
        }
    }

    /**
     * Pass 2 of row i on this thread's own part p, then on any part nobody has claimed; marks in
     * {@code mine} the parts it ran, and returns whether it ran any.
     */
    private static boolean runParts(RowParts team, int p, int i, boolean[] mine, float[] x, int xo, float[] e, int eo,
                                    float[] nx, int nxo, int k, int ub, float invT, float m, int t, float[] tmp) {
        boolean any = false;
        for (int c = 0; c < team.parts; c++) {
            int q = (p + c) % team.parts;
            mine[q] = team.claim(i, q);
            if (mine[q]) {
                partPass2(i, q, team, x, xo, e, eo, nx, nxo, k, ub, invT, m, t, tmp);
                team.done(i, q);
                any = true;
            }
        }
        return any;
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

    /**
     * Pass 2 over part q of row i (e into g unless null), its segments' sums, ties and the next
     * row's largest value in its range into {@code team}; the last part also takes the row's
     * tail. The target's z − m is read first when the target lies in this part (in place, the
     * part's pass overwrites it).
     */
    private static void partPass2(int i, int q, RowParts team, float[] x, int xo, float[] g, int go,
                                  float[] nx, int nxo, int k, int ub, float invT, float m, int t, float[] tmp) {
        final boolean last = q + 1 == team.parts;
        final int seg0 = team.firstSegment(q);
        final int seg1 = team.firstSegment(q + 1);
        if (t >= partStart(team, q) && t < partEnd(team, q, k)) {
            team.zsT[i] = x[xo + t] * invT - m;
        }
        final float[] tail = last && ub < k ? tailExp(x, xo, k, invT, m) : null;
        final Row r = new Row();
        r.next(x, xo, nx, nxo);
        for (int seg = seg0; seg < seg1; seg++) {
            r.less = 0;
            segment(x, xo, g, go, seg * SEGMENT, Math.min(ub, (seg + 1) * SEGMENT), invT, m, r, tmp);
            team.segmentSums[i * team.segments + seg] = r.less;
        }
        team.ties[i * team.parts + q] = r.ties;
        if (last) {
            for (int j = ub; j < k; j++) {
                float zs = x[xo + j] * invT - m;
                float e = tail[j - (k - L)];
                if (g != null) {
                    g[go + j] = e;
                }
                team.tailE[i * team.tail + j - ub] = e;
                team.tailZ[i * team.tail + j - ub] = zs;
            }
        }
        team.nextMax[i * team.parts + q] = nx == null ? Float.NEGATIVE_INFINITY : last ? r.nextMax(ub, k) : r.nmax;
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
     * Whether rows go through the common case of pass 2 ({@link #expBlock}) with the next row's
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
        int done = new SmallRowsKernel(s, scalar, laneGather).xent(r0, r1, x, xo, ldx, y, yo, ldy, g, go, ldg, out);
        for (int i = done; i < r1; i++) {
            scalar.xentRow(s, i, x, xo + i * ldx, y, y == null ? 0 : yo + i * ldy, g, g == null ? 0 : go + i * ldg, out);
        }
        return Float.NaN;
    }
}
