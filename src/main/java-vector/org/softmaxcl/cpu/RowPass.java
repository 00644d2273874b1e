package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pass 2 and pass 3 of one long row on the Vector API ({@link VectorKernels}' rows of K at least
 * two vectors): e_j = exp(x_j·(1/T) − m) stored block by block with d − 1's terms summed in float
 * lanes and folded into float64 every {@value #BLOCK} elements in a fixed lane order, the next
 * row's maximum read on the side ({@link Row}), and the scaling of the stored e_j. Softmax,
 * log-softmax and the cross-entropy's common case share these loops; the cross-entropy's options
 * have theirs in {@link XentPasses}, and a batch of long rows run in parts over the threads its
 * own in {@link PartsPasses}.
 *
 * <p>Each loop makes its vectors itself and takes none as a parameter: C2 inlines only so much into
 * one compilation, and a vector operation it leaves out of line falls back to boxed Java code.
 * Several methods here are kept above or below C2's inlining sizes on purpose; their javadoc
 * says which. Static and stateless but for the {@link Row} a caller passes in.
 */
final class RowPass {
    static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private RowPass() {
    }

    /**
     * Pass 2's float lanes are folded into its float64 sums every this many floats: short enough
     * that a lane adds few terms in float, long enough that the fold costs little.
     */
    static final int BLOCK = 2048;

    /**
     * Pass 2 sums d − 1's terms per segment of this many floats, then the segments in order, so
     * that a row split over threads segment by segment ({@link VectorKernels#softmaxRowSplit},
     * {@link VectorKernels#xentRowSplit}) gives the same bits as the row whole.
     */
    static final int SEGMENT = 16 * BLOCK;

    /**
     * Rows of at least this K run pass 2 from their end back to their start every other row, and
     * pass 3 against pass 2's direction. A row this long (256 KiB and more) does not stay in the
     * core's cache between its passes (the next row streams in beside it), so a pass that starts
     * where the one before ended finds that part still in cache: pass 2 starts where the previous
     * row's pass 2 read this row's maximum last, pass 3 where pass 2 wrote last.
     */
    static final int BACKWARD_K = 2 * SEGMENT;

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

    /** Sum of the lanes in lane order, in float64. */
    static double lanes(FloatVector v, float[] tmp) {
        v.intoArray(tmp, 0);
        double s = 0;
        for (int l = 0; l < L; l++) {
            s += tmp[l];
        }
        return s;
    }

    /**
     * e^(x_j·invT − m) for the row's last L elements, j in [k − L, k), by one vector ({@link
     * VectorExp#exp}: the same bits as its scalar form, x·invT − m rounded as the scalar code
     * rounds it), for the row's tail [ub, k) that pass 2's vectors do not reach. Read before pass
     * 2, which may overwrite the row (in place). A tail of up to L − 1 scalar exponentials took
     * 6 % of softmax's time at K = 1000 (JFR, 2 threads).
     */
    static float[] tailExp(float[] x, int xo, int k, float invT, float m) {
        float[] e = new float[L];
        FloatVector zs = FloatVector.fromArray(S, x, xo + k - L).mul(invT).sub(m);
        VectorExp.exp(zs).intoArray(e, 0);
        return e;
    }

    /**
     * Softmax's pass 2 over the row's scalar tail [ub, k): e_j (from {@link #tailExp}'s lanes) into
     * out (unless log), and d − 1's terms.
     */
    static void softmaxTail(float[] x, int xo, float[] out, int oo, int ub, int k, float invT, float m, boolean log,
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
    static void logRange(float[] x, int xo, float[] out, int oo, int from, int to, float invT, float m, float logd) {
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
    static void pass2(float[] x, int xo, float[] e, int eo, int ub, float invT, float m, Row r, float[] tmp) {
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
    static void pass2Backward(float[] x, int xo, float[] e, int eo, int ub, float invT, float m, Row r,
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
    static void scaleRow(float[] a, int o, int k, float f, Row r) {
        if (k >= BACKWARD_K && !r.backward) {
            scaleBackward(a, o, k, f);
        } else {
            scaleInPlace(a, o, k, f);
        }
    }

    /** {@link #expBlock} over the blocks of [b0, b1), adding to r.less and r.ties. */
    static void segment(float[] x, int xo, float[] e, int eo, int b0, int b1, float invT, float m, Row r,
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
     * {@link #pass2} with its segments in parallel: each segment's d − 1 terms from 0, then the
     * segments' sums added in order, as pass2 adds them (the same bits). Returns a Row holding
     * them; nothing is read ahead.
     */
    static Row splitPass2(float[] x, int xo, float[] e, int eo, int ub, int segments, float invT, float m,
                                  CpuKernels.Parallel par) {
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
    static int segmentEnd(int j, int segments, int k) {
        return j + 1 < segments ? (j + 1) * SEGMENT : k;
    }

    /** {@link #scaleInPlace} from the row's end back to its start. */
    static void scaleBackward(float[] a, int o, int k, float f) {
        int ub = S.loopBound(k);
        for (int j = ub; j < k; j++) {
            a[o + j] *= f;
        }
        FloatVector vf = FloatVector.broadcast(S, f);
        for (int j = ub - L; j >= 0; j -= L) {
            FloatVector.fromArray(S, a, o + j).mul(vf).intoArray(a, o + j);
        }
    }

    static void scaleInPlace(float[] a, int o, int k, float f) {
        FloatVector vf = FloatVector.broadcast(S, f);
        int j = 0;
        for (int ub = S.loopBound(k); j < ub; j += L) {
            FloatVector.fromArray(S, a, o + j).mul(vf).intoArray(a, o + j);
        }
        for (; j < k; j++) {
            a[o + j] *= f;
        }
    }

    /** A row's {@link RowSums}, and what pass 2 needs to read the next row's max on the side. */
    static final class Row extends RowSums {
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

    /**
     * All ones in the lanes where zs (≤ 0) is below 0, 0 where it is +0 (a tie with the max: x − m
     * rounds to +0). A −0 (a −0 logit beside a +0 max) counts as below with e = 1: the same d.
     */
    static IntVector below(FloatVector zs) {
        return ((IntVector) zs.reinterpretAsInts()).lanewise(VectorOperators.ASHR, 31);
    }

    /**
     * e where {@code below} is set, +0 at the ties: summed, the terms of d − 1 without a mask
     * (the lane sum of {@code below} counts −1 per element below the max).
     */
    static FloatVector lessPart(FloatVector e, IntVector below) {
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
    static void expBlock(float[] x, int xo, float[] g, int go, int b, int be, float invT, float m,
                                 Row r, float[] tmp) {
        if (g != null && !(g == x && go == xo && tinyIn(x, xo, b, be, invT, m))
                && expFast(x, xo, g, go, b, be, invT, m, r, tmp)) {
            return;
        }
        expExact(x, xo, g, go, b, be, invT, m, r, tmp);
    }

    /** Whether some zs = x·invT − m over [b, be) lies below the range of {@link VectorExp#expNormal}. */
    static boolean tinyIn(float[] x, int xo, int b, int be, float invT, float m) {
        FloatVector vinvT = FloatVector.broadcast(S, invT);
        FloatVector negM = FloatVector.broadcast(S, -m);
        IntVector tiny = IntVector.broadcast(I, Integer.MIN_VALUE);
        for (int j = b; j < be; j += L) {
            tiny = tiny.max(VectorExp.tinyKey(FloatVector.fromArray(S, x, xo + j).mul(vinvT).add(negM)));
        }
        return tiny.reduceLanes(VectorOperators.MAX) > VectorExp.TINY_KEY;
    }

    /** {@link #expBlock} on the fast exp; returns false, adding nothing, when some zs was below its range. */
    static boolean expFast(float[] x, int xo, float[] g, int go, int b, int be, float invT, float m,
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
     * {@link XentPasses#smoothPass}): inlined into a row's compilation it could outgrow C2's inlining budget,
     * and log-softmax then ran 0.24–0.5 Gelem/s instead of about 1.5 in some JVMs (16384×1000,
     * 2 threads: the vectors of this loop boxed).
     */
    static void expExact(float[] x, int xo, float[] g, int go, int b0, int b1, float invT, float m,
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
}
