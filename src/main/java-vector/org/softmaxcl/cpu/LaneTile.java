package org.softmaxcl.cpu;

import static org.softmaxcl.cpu.VectorExp.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The passes that {@link SmallRowsKernel} and {@link SmallRowsSoftmax} run over a K×L tile of a
 * group of L rows (column j of row r at {@code tile[j * L + r]}, one vector per column, one lane
 * per row), each a loop of its own over arrays: a method that takes or returns vectors, or one
 * loop too many in one compiled method, leaves C2 to box every vector operation (the first small-K
 * kernel spent most of its time allocating). Nothing here uses mask registers either: maxima come
 * from integer keys, the below-max test from the sign bit, counts from integer adds, and ints
 * become floats by the 1.5·2^23 trick; on AVX2 with JDK 17 masks, float max and int-to-float
 * conversion are not all compiled to vector instructions.
 */
final class LaneTile {
    static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int ABS = 0x7FFFFFFF;
    private static final int INF_BITS = 0x7F800000;
    /** 1.5·2^23: an int n with |n| < 2^22 added to its bits gives the float 1.5·2^23 + n exactly. */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);

    private LaneTile() {
    }

    /** What {@link #forward} found: go on, send the group to the scalar kernel, or rerun {@link #expExact}. */
    static final int DONE = 0, SCALAR = 1, EXACT = 2;

    /**
     * The first half of a group, in one method: the rows' maxima times their 1/T into {@code m},
     * then e^zs, zs = x·(1/T) − m, into {@code et} on the fast exp
     * ({@link VectorExp#expNormal}), and per row the sum of the e below the maximum into
     * {@code less} and minus the count of those into {@code below}; with {@code et} null, the
     * maxima only.
     *
     * <p>Returns {@link #SCALAR} (nothing else written but m) when some row holds a NaN or its
     * maximum is ±∞, rows the scalar kernel takes; {@link #EXACT} when some zs lies below the fast
     * exp's range (the caller reruns {@link #expExact}); else {@link #DONE}.
     *
     * <p>Maxima come from integer keys: a float's bits with the low 31 flipped when negative order
     * as signed ints like the floats (−0 below +0, as Math.max has it). Both loops stay in one
     * method on purpose: at more than C2's 325 bytes for a hot callee it is compiled on its own
     * and never inlined into the group's method, whose inlining budget ran out before the exp's
     * helpers when the two loops were separate small methods (every vector then boxed). zs is
     * not stored: log-softmax did, and that compile of this method boxed its exponentials
     * (262144×10 at 0.3 Gelem/s, 37 young collections; log-softmax computes zs again instead).
     */
    static int forward(float[] xt, float[] et, int k, float[] invT, float[] m, float[] less, int[] below) {
        IntVector key = IntVector.broadcast(I, Integer.MIN_VALUE);
        IntVector mag = IntVector.zero(I);
        for (int j = 0; j < k; j++) {
            IntVector b = (IntVector) FloatVector.fromArray(S, xt, j * L).reinterpretAsInts();
            key = key.max(b.lanewise(VectorOperators.XOR, b.lanewise(VectorOperators.ASHR, 31).and(ABS)));
            mag = mag.max(b.and(ABS));
        }
        IntVector bits = key.lanewise(VectorOperators.XOR, key.lanewise(VectorOperators.ASHR, 31).and(ABS));
        // NaN anywhere: some |bits| above ∞'s; an infinite maximum: its |bits| are ∞'s, one more
        // is above them. (A −∞ logit below a finite maximum, a mask, stays on this path.)
        if (mag.max(bits.and(ABS).add(1)).reduceLanes(VectorOperators.MAX) > INF_BITS) {
            return SCALAR;
        }
        FloatVector vit = FloatVector.fromArray(S, invT, 0);
        FloatVector vm = ((FloatVector) bits.reinterpretAsFloats()).mul(vit);
        vm.intoArray(m, 0);
        if (et == null) {
            return DONE;   // the maxima only: the caller takes e and the sums it needs itself
        }
        FloatVector acc = FloatVector.zero(S);
        IntVector cnt = IntVector.zero(I);
        IntVector tiny = IntVector.broadcast(I, Integer.MIN_VALUE);
        for (int j = 0; j < k; j++) {
            FloatVector zs = FloatVector.fromArray(S, xt, j * L).mul(vit).sub(vm);
            IntVector zb = (IntVector) zs.reinterpretAsInts();
            FloatVector e = VectorExp.expNormal(zs);
            e.intoArray(et, j * L);
            IntVector bl = zb.lanewise(VectorOperators.ASHR, 31);
            acc = acc.add((FloatVector) ((IntVector) e.reinterpretAsInts()).and(bl).reinterpretAsFloats());
            cnt = cnt.add(bl);
            tiny = tiny.max(zb.lanewise(VectorOperators.XOR, Integer.MIN_VALUE));   // VectorExp.tinyKey
        }
        if (tiny.reduceLanes(VectorOperators.MAX) > VectorExp.TINY_KEY) {
            return EXACT;
        }
        acc.intoArray(less, 0);
        cnt.intoArray(below, 0);
        return DONE;
    }

    /** The second loop of {@link #forward} on the exact exp (subnormal results kept, −∞ giving 0), for any zs. */
    static void expExact(float[] xt, float[] et, int k, float[] invT, float[] m, float[] less, int[] below) {
        FloatVector vit = FloatVector.fromArray(S, invT, 0);
        FloatVector vm = FloatVector.fromArray(S, m, 0);
        FloatVector acc = FloatVector.zero(S);
        IntVector cnt = IntVector.zero(I);
        for (int j = 0; j < k; j++) {
            FloatVector zs = FloatVector.fromArray(S, xt, j * L).mul(vit).sub(vm);
            FloatVector e = VectorExp.exp(zs);
            e.intoArray(et, j * L);
            IntVector bl = ((IntVector) zs.reinterpretAsInts()).lanewise(VectorOperators.ASHR, 31);
            acc = acc.add((FloatVector) ((IntVector) e.reinterpretAsInts()).and(bl).reinterpretAsFloats());
            cnt = cnt.add(bl);
        }
        acc.intoArray(less, 0);
        cnt.intoArray(below, 0);
    }

    /**
     * d − 1 = Σ_{z<m} e^(z−m) + (ties − 1) per row, from {@link #forward}'s sums: ties − 1 =
     * k − 1 + below, an exact small integer, added last (so d − 1 keeps the sum's digits).
     */
    static void dm1(float[] less, int[] below, int k, float[] dm1) {
        FloatVector tiesM1 = toFloat(IntVector.fromArray(I, below, 0).add(k - 1));
        FloatVector.fromArray(S, less, 0).add(tiesM1).intoArray(dm1, 0);
    }

    /**
     * Where element e of L dense rows of k floats (row e / k, column e % k) sits in a tile:
     * (e % k)·L + e / k.
     */
    static int[] permutation(int k) {
        int[] p = new int[k * L];
        for (int e = 0; e < p.length; e++) {
            p[e] = (e % k) * L + e / k;
        }
        return p;
    }

    /**
     * System property choosing how a group's rows move into and out of a tile: {@code true}, one
     * gather per column in and one scatter per column out ({@link #rowOffsets}); {@code false},
     * element by element ({@link #permutation}). The same bits either way. Default: gathers where
     * vectors are 512 bits wide and the CPU is Intel's ({@link CpuVendor}), element moves
     * elsewhere:
     * <ul>
     * <li>2-core Xeon (AVX-512), 2 threads, 262144×10 paired in one JVM: gathers took 0.85× the
     * time of the element moves for the fused cross-entropy, 0.76× for softmax. With gathers, the
     * plain cross-entropy's gradient and softmax of dense rows go out in memory order
     * ({@link #expScaledRows}: 0.94× and 0.935× the time of the scatters at 16384×10, 1 thread);
     * the gradient since by {@link #tileScaledRows}, another 0.95–0.98×.</li>
     * <li>2-core AMD EPYC (Zen 4, AVX-512, whose gathers and scatters are microcoded), 2 threads,
     * N·K = 2^22, JarPair, time of gathers / element moves: cross-entropy 1.10–1.23 at K = 10
     * and 16, 1.17–1.30 at 32, 1.20–1.42 at 64, 1.79 at 100; softmax 0.94–1.00 at K ≤ 32, 1.44
     * at 64, 1.80 at 100. Staging each group's rows into a scratch array before gathering from
     * it (so the gathers read L1) did not help (1.16 at K = 32 and 64), nor did 16×16 register
     * transposes built from the Vector API's permutes and blends (1.05–1.24).</li>
     * <li>AVX2 has no scatter (the Vector API would store lane by lane), and its permutes and
     * masks, emulated with {@code -XX:UseAVX=2} on the Xeon, made softmax 1.04× the time of the
     * element moves.</li>
     * </ul>
     * Where the vendor is unknown, element moves: the worse of the two choices costs less there.
     */
    static final String GATHER_PROPERTY = "softmaxcl.cpu.laneGather";

    /**
     * Whether dense rows go out in memory order ({@link #expScaledRows}: the exponentials again
     * from x, the per-row values spread by permutes) when rows move element by element too, not
     * only with gathers: where vectors are 512 bits wide. Zen 4 (AVX-512, 2 threads, separate JVMs
     * alternating, time against the table moves out of the tile): softmax 262144×10 0.78–0.90 (3 of
     * 3), cross-entropy 262144×10 0.90–0.98 (4 of 4) and 32768×80 0.79–0.91 (4 of 4). With 256-bit
     * vectors ({@code -XX:UseAVX=2} on the same host) softmax took 3× the time, so AVX2 keeps the
     * table.
     */
    static final boolean OUT_IN_MEMORY_ORDER = S.vectorBitSize() >= 512;

    /**
     * Whether the cross-entropy's finish reads each row's target entries of x and e from the tile
     * by one gather each ({@code SmallRowsKernel#finishLanes}) where rows move element by element,
     * rather than by one scalar read per row: where vectors are 512 bits wide (a gather from L1;
     * rows moved by gathers read them so anyway). The scalar reads are stored lane by lane and
     * read back as a vector, which waits for the stores. Zen 4 (whose gathers are microcoded),
     * JarPair, time gathers / scalar reads, two copies of each build: 1 thread 0.954–0.979 at K =
     * 10 (control 1.013; 1.00 in the other order), 0.960–0.968 at K = 32 (0.987), 0.96–0.98 at K =
     * 64 (1.016–1.033 against a control of 1.056); 2 threads 262144×10 0.950–0.961 (control
     * 0.990), 0.91–0.99 in the other order. The
     * final build against the one before it, 2 threads, both orders: 262144×10 0.99–1.00 (controls
     * 0.99–1.03), K = 32 1.00–1.02 (1.07), K = 80 1.02 (1.00–1.03): a few percent on one thread,
     * within the noise on two. Vectors narrower than 512 bits keep the scalar reads (gathers there
     * are slower or, without hardware gathers, not compiled at all).
     */
    static final boolean TARGET_GATHER = S.vectorBitSize() >= 512;

    /** The default of {@link #GATHER_PROPERTY} on this JVM. */
    static boolean gatherByDefault() {
        return gather(System.getProperty(GATHER_PROPERTY, ""), S.vectorBitSize(), CpuVendor.id());
    }

    /** The rule of {@link #gatherByDefault}: the property when set, else 512-bit vectors on an Intel CPU. */
    static boolean gather(String property, int vectorBits, String vendor) {
        String v = property.trim();
        return v.isEmpty() ? vectorBits >= 512 && CpuVendor.INTEL.equals(vendor) : Boolean.parseBoolean(v);
    }

    /** The index map of one column of L rows {@code ld} floats apart: r·ld for r &lt; L. */
    static int[] rowOffsets(int ld) {
        int[] r = new int[L];
        for (int i = 0; i < L; i++) {
            r[i] = i * ld;
        }
        return r;
    }

    /**
     * Below this K, dense rows move element by element as one run of L·k floats through the
     * {@link #permutation} (a load, a table load and a store per element, one loop the JIT
     * unrolls); from it on, as other rows do, row by row (a loop over the row's k elements, with
     * no table and, its indexes linear, no bounds check left in it). Zen 4, 2 threads, N·K =
     * 2^22, JarPair, time row by row / run: K = 10 1.29–1.34, 16 1.21–1.22, 24 1.00–1.11, 32
     * 0.92–0.94 in one pair of runs and 0.98–1.18 in another (log-softmax the worst), 48
     * 0.91–0.92, 64 0.85–1.04 (0.86–0.90 for softmax and log-softmax), 80
     * 0.85–0.99 (cross-entropy and softmax). Measured where rows move element by element by
     * default (not Intel's AVX-512, see {@link #GATHER_PROPERTY}); the Xeon was not measured.
     * Paired again against the table at K = 48 / 64 / 80: softmax 0.84 / 0.84 / 0.83, log-softmax
     * 1.00 / 0.88 / 0.84, but the cross-entropy 0.88 / 1.06 / 1.07, so only softmax and
     * log-softmax move rows by {@link #moveTable}; the cross-entropy keeps the table at every K
     * (and the backward passes run on lanes below 2·L only).
     */
    static final int ROW_MOVES_K = 48;

    /**
     * The table {@link #toTile} and {@link #fromTile} move dense rows of k floats through: perm
     * below {@link #ROW_MOVES_K}, else null (row by row).
     */
    static int[] moveTable(int k, int[] perm) {
        return k < ROW_MOVES_K ? perm : null;
    }

    /**
     * The tile of the L rows of k floats from {@code base}, rows {@code ld} apart. With
     * {@code rows} ({@link #rowOffsets} of ld), one gather per column; else dense rows (ld = k)
     * with {@code perm} (the {@link #permutation}) go as one run of L·k floats through it, and
     * others row by row.
     */
    static void toTile(float[] a, int base, int ld, int k, float[] tile, int[] perm, int[] rows) {
        if (rows != null) {
            for (int j = 0; j < k; j++) {
                FloatVector.fromArray(S, a, base + j, rows, 0).intoArray(tile, j * L);
            }
            return;
        }
        if (ld == k && perm != null) {
            for (int e = 0; e < perm.length; e++) {
                tile[perm[e]] = a[base + e];
            }
            return;
        }
        for (int r = 0; r < L; r++) {
            int ar = base + r * ld;
            for (int j = 0; j < k; j++) {
                tile[j * L + r] = a[ar + j];
            }
        }
    }

    /**
     * The inverse of {@link #toTile}: the tile's L rows into {@code a} from {@code base}, rows
     * {@code ld} apart (with {@code rows}, one scatter per column).
     */
    static void fromTile(float[] tile, float[] a, int base, int ld, int k, int[] perm, int[] rows) {
        if (rows != null) {
            for (int j = 0; j < k; j++) {
                FloatVector.fromArray(S, tile, j * L).intoArray(a, base + j, rows, 0);
            }
            return;
        }
        if (ld == k && perm != null) {
            for (int e = 0; e < perm.length; e++) {
                a[base + e] = tile[perm[e]];
            }
            return;
        }
        for (int r = 0; r < L; r++) {
            int ar = base + r * ld;
            for (int j = 0; j < k; j++) {
                a[ar + j] = tile[j * L + r];
            }
        }
    }

    /**
     * {@link #fromTile} by scatters of the tile's columns times a per-row factor:
     * {@code a[base + r·ld + j] = tile[j·L + r] · f[r]} ({@code rows}: {@link #rowOffsets} of ld),
     * the product rounded as a separate multiply would round it.
     */
    static void scaledFromTile(float[] tile, float[] f, float[] a, int base, int k, int[] rows) {
        FloatVector vf = FloatVector.fromArray(S, f, 0);
        for (int j = 0; j < k; j++) {
            FloatVector.fromArray(S, tile, j * L).mul(vf).intoArray(a, base + j, rows, 0);
        }
    }

    /**
     * For L dense rows of k floats read as k vectors in memory order: the row (lane of a tile)
     * that element {@code v·L + l} belongs to, {@code (v·L + l) / k}, at index v·L + l. A
     * vector of it, as a shuffle, spreads per-row values (one per lane) over the elements of
     * memory vector v.
     */
    static int[] rowOfElement(int k) {
        int[] r = new int[k * L];
        for (int e = 0; e < r.length; e++) {
            r[e] = e / k;
        }
        return r;
    }

    /**
     * The output of L dense rows of k floats written in memory order, without a scatter:
     * {@code a[base + e] = exp(x[xb + e]·invT_r − m_r)·f_r} for e &lt; k·L and r = e / k, the
     * per-row values spread over each memory vector by one permute ({@link #rowOfElement}), the
     * exponential computed again from x (the same operations as {@link #forward}'s, so the same
     * bits as {@code e·f} from its tile). With {@code exact}, on {@link VectorExp#exp} (the group
     * had arguments below the fast exp's range); with {@code unitT} (every 1/T is 1) without the
     * multiply (x·1 is x: the same bits). A contiguous load, a few permutes and the exponential
     * cost less than a scatter of 16 lanes (one store per lane, and its index check). In place
     * (a is x, base is xb) each vector is read before it is written.
     */
    static void expScaledRows(float[] x, int xb, float[] a, int base, int k, float[] invT, boolean unitT, float[] m,
                              float[] f, int[] rowOf, boolean exact) {
        fromLogits(x, xb, a, base, k, invT, unitT, m, f, rowOf, exact, false);
    }

    /**
     * The loop of {@link #expScaledRows} (e·f) and {@link #logRows} (zs − f, with {@code log}):
     * zs = x·invT − m per memory vector, the per-row values spread by permutes.
     */
    private static void fromLogits(float[] x, int xb, float[] a, int base, int k, float[] invT, boolean unitT,
                                   float[] m, float[] f, int[] rowOf, boolean exact, boolean log) {
        IntVector vit = (IntVector) FloatVector.fromArray(S, invT, 0).reinterpretAsInts();
        IntVector vm = (IntVector) FloatVector.fromArray(S, m, 0).reinterpretAsInts();
        IntVector vf = (IntVector) FloatVector.fromArray(S, f, 0).reinterpretAsInts();
        for (int v = 0; v < k; v++) {
            VectorShuffle<Integer> row = IntVector.fromArray(I, rowOf, v * L).toShuffle();
            FloatVector xv = FloatVector.fromArray(S, x, xb + v * L);
            FloatVector zs = (unitT ? xv : xv.mul((FloatVector) vit.rearrange(row).reinterpretAsFloats()))
                    .sub((FloatVector) vm.rearrange(row).reinterpretAsFloats());
            FloatVector fv = (FloatVector) vf.rearrange(row).reinterpretAsFloats();
            FloatVector out = log ? zs.sub(fv) : (exact ? VectorExp.exp(zs) : VectorExp.expNormal(zs)).mul(fv);
            out.intoArray(a, base + v * L);
        }
    }

    /**
     * Log-softmax of L dense rows of k floats written in memory order, without a scatter or table
     * moves: {@code a[base + e] = (x[xb + e]·invT_r − m_r) − logd_r} for e &lt; k·L and r = e / k,
     * the per-row values spread over each memory vector by one permute ({@link #rowOfElement});
     * the operations of the tile's log pass, so the same bits (with {@code unitT}, every 1/T 1,
     * without the multiply: x·1 is x). In place (a is x, base is xb) each vector is read before it
     * is written. Used on 512-bit vectors without gathers ({@link #OUT_IN_MEMORY_ORDER}); Zen 4,
     * 2 threads, time against the table moves out of the tile: 262144×10 0.72–0.83 and 65536×40
     * 0.81–0.97 in separate JVMs (8 of 8 pairs, this build first; 0.90–1.12 in 3 pairs run the
     * other way round), 0.86 and 0.88 paired in one JVM against a control of 0.96 and 0.98.
     */
    static void logRows(float[] x, int xb, float[] a, int base, int k, float[] invT, boolean unitT, float[] m,
                        float[] logd, int[] rowOf) {
        fromLogits(x, xb, a, base, k, invT, unitT, m, logd, rowOf, false, true);
    }

    /**
     * The output of L dense rows of k floats written in memory order from their tile:
     * {@code a[base + e] = tile[perm[e]]·f_r} for e &lt; k·L and r = e / k: one gather from the
     * tile (in L1) per memory vector, the per-row factor spread by one permute
     * ({@link #rowOfElement}). The same bits as {@link #expScaledRows} (whose e is the tile's).
     * Used for the cross-entropy's gradient: paired in one JVM (JarPair, both orders) 0.95–0.98×
     * the time of computing e again at 16384×10 (1 thread) and 262144×10 (2 threads); for
     * softmax it was no faster (0.98–1.08×), so softmax keeps {@link #expScaledRows}.
     */
    static void tileScaledRows(float[] tile, float[] a, int base, int k, float[] f, int[] rowOf, int[] perm) {
        IntVector vf = (IntVector) FloatVector.fromArray(S, f, 0).reinterpretAsInts();
        for (int v = 0; v < k; v++) {
            VectorShuffle<Integer> row = IntVector.fromArray(I, rowOf, v * L).toShuffle();
            FloatVector.fromArray(S, tile, 0, perm, v * L).mul((FloatVector) vf.rearrange(row).reinterpretAsFloats())
                    .intoArray(a, base + v * L);
        }
    }

    /**
     * {@link #fromTile} for L dense rows of k floats, written in memory order: one gather from
     * the tile (in L1) per memory vector, {@code a[base + e] = tile[perm[e]]}, where a scatter
     * per column would store lane by lane (soft targets at 262144×10: fromTile's scatters were
     * an eighth of the time).
     */
    static void tileRows(float[] tile, float[] a, int base, int k, int[] perm) {
        for (int v = 0; v < k; v++) {
            FloatVector.fromArray(S, tile, 0, perm, v * L).intoArray(a, base + v * L);
        }
    }

    /**
     * The inverse of {@link #toFloat}: floats holding small whole numbers (below 2^22) as ints,
     * exactly (JDK 17 does not compile a float-to-int {@code convert} into vector code: it ran
     * through float64 arrays, a sixth of the statistics' time at 262144×10).
     */
    static IntVector toInt(FloatVector f) {
        return ((IntVector) f.add(MAGIC).reinterpretAsInts()).sub(MAGIC_BITS);
    }

    /** An int vector of small magnitude (below 2^22) as floats, exactly, without a conversion instruction. */
    static FloatVector toFloat(IntVector n) {
        return ((FloatVector) n.add(MAGIC_BITS).reinterpretAsFloats()).sub(MAGIC);
    }
}
