package org.softmaxcl.opencl;

import java.util.Locale;

/**
 * How a row kernel is laid out on the device (see {@code kernels-cl/common.cl}):
 * <ul>
 *   <li>V0, a work-item per row walking it one float at a time ({@code xent.cl}, {@code softmax.cl});</li>
 *   <li>V0v, a work-item per row in vectors of {@code vecw} floats ({@code xent_vec.cl},
 *       {@code softmax_vec.cl}): the CPU-device variant; with {@code rpw} &gt; 1 a work-item walks
 *       that many consecutive rows and reads each row's max during the previous row's
 *       exponentials ({@code RPW} in those files);</li>
 *   <li>V1, a work-group of {@code wgs} work-items per row with local-memory reductions: the GPU
 *       variant for medium and large K;</li>
 *   <li>V2, as V1 but each work-item reads and writes quads of four adjacent floats as one
 *       {@code float4} ({@code QUADS} in {@code common.cl}): a quarter of the memory instructions
 *       and four times the bytes in flight (rows that do not start on 16 bytes move their quads
 *       a float at a time, with the same bits).</li>
 *   <li>V1 and V2 with {@code rpw} &gt; 1 ({@code v2:256:4}): each work-group walks that many
 *       consecutive rows ({@code RPG} in {@code common.cl}); V2 with its row in registers loads
 *       the next row while it reduces the current one, so its loads stay in flight through the
 *       reductions. The same arithmetic per row, so the same bits as one row per group.</li>
 *   <li>V3, a row split into {@code split} chunks of one work-group each, two kernels
 *       ({@code xent_split.cl}): few rows of huge K, where a work-group per row leaves most of a
 *       GPU idle. Cross-entropy only; softmax runs V1 there.</li>
 * </ul>
 *
 * @param wgPerRow true for V1 and V3
 * @param wgs      work-group size: rows per group in V0, work-items per row (V1) or per chunk (V3), a power of two
 * @param vecw     floats per vector operation in V0v (4, 8 or 16) and V2 (4), 1 for the scalar kernels
 * @param split    chunks per row in V3, 0 otherwise
 * @param rpw      rows per work-item in V0v, rows per work-group in V1 and V2 (1 to {@value #MAX_RPW}); 1 in V0 and V3
 */
record KernelLayout(boolean wgPerRow, int wgs, int vecw, int split, int rpw) {

    /** Most rows one V0v work-item, or one V1 or V2 work-group, walks. */
    static final int MAX_RPW = 64;

    /** System property forcing a layout: {@code v0}, {@code v0:64}, {@code v0v:8}, {@code v0v:8:8:16}, {@code v1:256}, {@code v2:256}, {@code v2:256:4}, {@code v3:128:8}. */
    static final String PROPERTY = "softmaxcl.opencl.layout";

    KernelLayout {
        if (wgs < 1 || Integer.bitCount(wgs) != 1) {
            throw new IllegalArgumentException("work-group size must be a power of two, got " + wgs);
        }
        if (vecw != 1 && vecw != 4 && vecw != 8 && vecw != 16) {
            throw new IllegalArgumentException("vector width must be 1, 4, 8 or 16, got " + vecw);
        }
        if (wgPerRow && vecw != 1 && (vecw != 4 || split != 0)) {
            throw new IllegalArgumentException("a work-group per row reads floats one at a time (V1) or in quads (V2, vecw 4), got vecw " + vecw
                    + (split != 0 ? " with a split row" : ""));
        }
        if (split != 0 && (!wgPerRow || split < 2 || split > 1024)) {
            throw new IllegalArgumentException("V3 splits a row into 2 to 1024 chunks, got " + split);
        }
        if (rpw < 1 || rpw > MAX_RPW || (rpw > 1 && (split != 0 || (!wgPerRow && vecw == 1)))) {
            throw new IllegalArgumentException("only V0v (per work-item), V1 and V2 (per work-group) walk several rows, 1 to "
                    + MAX_RPW + ", got " + rpw + (rpw > 1 ? " rows in " + (split != 0 ? "V3" : "V0") : ""));
        }
    }

    KernelLayout(boolean wgPerRow, int wgs, int vecw, int split) {
        this(wgPerRow, wgs, vecw, split, 1);
    }

    KernelLayout(boolean wgPerRow, int wgs, int vecw) {
        this(wgPerRow, wgs, vecw, 0, 1);
    }

    /** True for V3. */
    boolean splitRows() {
        return split > 0;
    }

    /** This layout for an operation without a V3 kernel: V1 with the same work-group size. */
    KernelLayout withoutSplit() {
        return splitRows() ? new KernelLayout(true, wgs, 1) : this;
    }

    /** True for the vector-register variant (V0v). */
    boolean vector() {
        return !wgPerRow && vecw > 1;
    }

    /** True for V2: a work-group per row in quads of four floats. */
    boolean quads() {
        return wgPerRow && vecw == 4;
    }

    /**
     * System property for the register row caches ({@link #rowCache}): {@code true} turns V1's on
     * (and V2's on CPU devices), {@code false} turns V2's off. By default V2's is on for GPUs (an
     * H200, kernel alone: +12–17% at K = 1024–8192) and V1's off (an H100: no faster at
     * 16384×1000, slower at 8192×4096); bench/RESULTS.md.
     */
    static final String ROW_CACHE_PROPERTY = "softmaxcl.opencl.rowCache";
    /** Largest number of floats a V1 work-item keeps in registers. */
    static final int ROW_CACHE_MAX = 32;
    /** Largest row (floats) a V1 work-group keeps in registers: bounds the registers per group. */
    static final int ROW_CACHE_MAX_ROW = 8192;

    /** Most quads of four floats a V2 work-item keeps in registers. */
    static final int QUAD_CACHE_MAX = 8;

    /**
     * The {@code ROW_CACHE} macro of the cross-entropy's V1 and V2 kernels for rows of {@code k}
     * floats. V1: the floats of the row each work-item keeps in registers between passes (a power
     * of two, at least ⌈k / wgs⌉), or 0 when the row is too long to keep ({@value #ROW_CACHE_MAX_ROW}
     * floats per group, {@value #ROW_CACHE_MAX} per work-item). V2: the quads each work-item keeps,
     * ⌈k / (4 wgs)⌉, or 0 above {@value #QUAD_CACHE_MAX}. 0 for V0, V0v and V3; for V1 unless the
     * property {@value #ROW_CACHE_PROPERTY} is {@code true}; for V2 when it is {@code false}, and
     * on devices other than GPUs unless it is {@code true} (a CPU device runs V2 only when forced,
     * and each cached row length is one more program to build: on PoCL the cached variants made
     * the cold OpenCL test run about 1.4 times as long).
     *
     * @param gpu whether the device is a GPU (V2's cache is on by default there)
     */
    int rowCache(int k, boolean gpu) {
        String p = System.getProperty(ROW_CACHE_PROPERTY, "").trim();
        boolean on = p.equalsIgnoreCase("true") || (quads() && gpu && !p.equalsIgnoreCase("false"));
        if (!wgPerRow || splitRows() || !on) {
            return 0;
        }
        if (quads()) {
            return cachedQuads(k);
        }
        int per = Integer.highestOneBit(Math.max(1, (k + wgs - 1) / wgs));
        if ((long) per * wgs < k) {
            per <<= 1;
        }
        return per <= ROW_CACHE_MAX && (long) per * wgs <= Math.max(ROW_CACHE_MAX_ROW, wgs) ? per : 0;
    }

    /**
     * System property: {@code true} or {@code false} forces the compile-time row length
     * ({@code FIXED_K} in {@code xent_common.cl}) on or off for the cross-entropy's V1 and V2
     * kernels, for A/B runs and tests; unset, V2 with its row in registers takes it (a GPU then
     * builds one program per K, kept in the binary cache).
     */
    static final String FIXED_K_PROPERTY = "softmaxcl.opencl.fixedK";

    /**
     * The {@code -DFIXED_K} option of the cross-entropy kernel of this layout for rows of {@code k}
     * floats with the row cache {@code rowCache} ({@link #rowCache}), or "".
     */
    String fixedKMacro(int k, int rowCache) {
        String p = System.getProperty(FIXED_K_PROPERTY, "").trim();
        boolean on = !splitRows() && wgPerRow
                && (p.equalsIgnoreCase("true") || (!p.equalsIgnoreCase("false") && quads() && rowCache > 0));
        return on ? " -DFIXED_K=" + k : "";
    }

    /**
     * System property: {@code true} or {@code false} forces the lean form of V2's cached
     * cross-entropy kernel ({@code LEAN} in {@code xent.cl}: no per-element flags, pairwise sums
     * per work-item, one multiply per gradient entry) on or off, for A/B runs and tests; unset, it
     * is on wherever V2 keeps its row in registers (an H100, kernel alone: +9% at K = 4096, +18–27%
     * at K = 1024, 2048 and 8192; bench/RESULTS.md).
     */
    static final String LEAN_PROPERTY = "softmaxcl.opencl.lean";

    /**
     * The {@code -DLEAN} option of the cross-entropy kernel of this layout with the row cache
     * {@code rowCache} ({@link #rowCache}), or "": only V2 with its row in registers has the lean
     * form (the kernel takes it only for hard targets without smoothing, soft-cap or statistics).
     */
    String leanMacro(int rowCache) {
        String p = System.getProperty(LEAN_PROPERTY, "").trim();
        return quads() && rowCache > 0 && !p.equalsIgnoreCase("false") ? " -DLEAN=1" : "";
    }

    /**
     * System property: {@code true} keeps V2's softmax forward rows in registers, in the lean form
     * ({@code ROW_CACHE} with {@code LEAN} in {@code softmax.cl}), on any device; unset or
     * {@code false}, the forward reads its row from memory in each pass. Opt-in until measured on
     * a GPU.
     */
    static final String SOFTMAX_CACHE_PROPERTY = "softmaxcl.opencl.softmaxCache";

    /**
     * The {@code -D} options of V2's cached lean softmax forward for rows of {@code k} floats
     * (the quads per work-item, the lean form, the row length as a constant), or "" when
     * {@value #SOFTMAX_CACHE_PROPERTY} is not {@code true}, the layout is not V2 with one row per
     * group, or the row needs more than {@value #QUAD_CACHE_MAX} quads per work-item.
     */
    String softmaxCacheMacros(int k) {
        String p = System.getProperty(SOFTMAX_CACHE_PROPERTY, "").trim();
        int per = cachedQuads(k);
        return quads() && rpw == 1 && p.equalsIgnoreCase("true") && per > 0
                ? " -DROW_CACHE=" + per + " -DLEAN=1 -DFIXED_K=" + k : "";
    }

    /** The quads of a row of {@code k} floats each V2 work-item keeps, ⌈k / (4 wgs)⌉, or 0 above {@value #QUAD_CACHE_MAX}. */
    private int cachedQuads(int k) {
        long per = ((long) k + 4L * wgs - 1) / (4L * wgs);
        return per <= QUAD_CACHE_MAX ? (int) per : 0;
    }

    /**
     * System property: {@code true} or {@code false} forces the one-pass forward on or off
     * ({@code ONE_PASS} in {@code xent.cl} and {@code softmax.cl}: the max and d − 1 gathered in
     * one pass, online, instead of two), for A/B runs; unset, rows of at least
     * {@value #ONE_PASS_MIN_K} floats take it.
     */
    static final String ONE_PASS_PROPERTY = "softmaxcl.opencl.onePass";

    /**
     * The smallest K that runs the forward in one pass by default. Measured kernel-only on an
     * H200 (bench/RESULTS.md): one pass was 0.87–0.98 of two at K = 1024..8192, where a row read
     * a second time still comes from the L2 cache, and 1.14 at K = 32768, where it does not.
     */
    static final int ONE_PASS_MIN_K = 16384;

    /** The {@code -DONE_PASS} option of a row kernel for rows of {@code k} floats ({@value #ONE_PASS_PROPERTY}). */
    static String onePassMacro(int k) {
        String p = System.getProperty(ONE_PASS_PROPERTY, "").trim();
        boolean on = p.equalsIgnoreCase("true") || (!p.equalsIgnoreCase("false") && k >= ONE_PASS_MIN_K);
        return " -DONE_PASS=" + (on ? 1 : 0);
    }

    /** The -D options of this layout. */
    String macros() {
        return "-DWG_PER_ROW=" + (wgPerRow ? 1 : 0) + " -DWGS=" + wgs + (vector() ? " -DVECW=" + vecw + " -DRPW=" + rpw : "")
                + (quads() ? " -DQUADS=1" : "") + (wgPerRow && rpw > 1 ? " -DRPG=" + rpw : "")
                + (splitRows() ? " -DSPLIT=" + split : "");
    }

    /** The kernel file of an operation for this layout: {@code base.cl}, {@code base_vec.cl} or {@code base_split.cl}. */
    String file(String base) {
        return vector() ? base + "_vec.cl" : splitRows() ? base + "_split.cl" : base + ".cl";
    }

    /** The kernel name of an operation for this layout (V3 appends {@code _partial} / {@code _finish} itself). */
    String kernel(String name) {
        return vector() ? name + "_vec" : name;
    }

    long global(int rows) {
        if (splitRows()) {
            return (long) rows * split * wgs;
        }
        long items = (rows + (long) rpw - 1) / rpw;
        return wgPerRow ? items * wgs : ((items + wgs - 1) / wgs) * wgs;
    }

    /**
     * The global work offset at which row {@code row0} starts (row layouts only, not V3); a
     * multiple of {@code rpw} (chunks are whole work-groups, {@link #rowsPerGroup}).
     */
    long offset(int row0) {
        if (row0 % rpw != 0) {
            throw new IllegalArgumentException("row " + row0 + " does not start a work-" + (wgPerRow ? "group" : "item") + " of " + rpw + " rows");
        }
        return wgPerRow ? (long) (row0 / rpw) * wgs : row0 / rpw;
    }

    /** Rows one work-group covers: wgs · rpw in a row-per-work-item layout (V0, V0v), rpw in V1 and V2. */
    long rowsPerGroup() {
        return wgPerRow ? rpw : (long) wgs * rpw;
    }

    long local() {
        return wgs;
    }

    /**
     * The layout for rows of K classes on a device: the forced one, else the device's entry in the
     * {@link TuningDatabase} (CPU devices: a work-item per row in vector registers; GPUs: a
     * work-group per row beyond small K). The work-group size is then fitted to the device and,
     * for V1 and V2, to the row: no more work-items than K columns (V1) or ⌈K/4⌉ quads (V2),
     * rounded down to a power of two.
     */
    static KernelLayout choose(DeviceInfo d, int k, KernelLayout forced) {
        return choose(d, k, Integer.MAX_VALUE, forced);
    }

    /**
     * As {@link #choose(DeviceInfo, int, KernelLayout)}, and on a GPU a row of K ≥ {@value #SPLIT_MIN_K}
     * classes is split (V3) when there are fewer rows than twice the compute units: into enough
     * chunks for about four work-groups per compute unit, each at least a work-group wide. A V0v
     * layout walking several rows per work-item walks fewer when N rows would make fewer than
     * {@value #MIN_GROUPS_PER_UNIT} work-groups per compute unit. A forced layout is kept as it is.
     */
    static KernelLayout choose(DeviceInfo d, int k, int rows, KernelLayout forced) {
        KernelLayout l = forced != null ? forced : TuningDatabase.lookup(d).layoutFor(k);
        if (forced == null && d.isGpu() && l.wgPerRow && !l.splitRows() && k >= SPLIT_MIN_K
                && rows < 2L * d.computeUnits()) {
            int want = (int) Math.min(1024, ((long) MIN_GROUPS_PER_UNIT * d.computeUnits() + rows - 1) / rows);
            int split = Math.max(2, Math.min(want, k / l.wgs));
            l = new KernelLayout(true, l.wgs, 1, split);
        }
        if (forced == null && l.rpw > 1) {
            // Fewer rows per work-item (V0v) or work-group (V1, V2) where there are few rows: at
            // least four work-groups per compute unit, or some units would sit idle.
            long rowsPerGroups = (l.wgPerRow ? 1L : l.wgs) * MIN_GROUPS_PER_UNIT * Math.max(1, d.computeUnits());
            int rpw = (int) Math.max(1, Math.min(l.rpw, rows / rowsPerGroups));
            l = new KernelLayout(l.wgPerRow, l.wgs, l.vecw, l.split, rpw);
        }
        return clamp(l, d, k);
    }

    /**
     * Work-groups per compute unit that {@link #choose} aims for: below it, V0v walks fewer rows per
     * work-item, and a GPU splits few rows of huge K into that many chunks per unit (V3).
     */
    static final int MIN_GROUPS_PER_UNIT = 4;

    /** The smallest K a GPU splits across work-groups. */
    static final int SPLIT_MIN_K = 8192;

    private static KernelLayout clamp(KernelLayout l, DeviceInfo d, int k) {
        int wgs = l.wgs;
        int cols = l.quads() ? (k + 3) / 4 : k;   // what a work-item takes: a column, or a quad in V2
        while (wgs > 1 && (wgs > d.maxWorkGroup() || (l.wgPerRow && wgs > cols))) {
            wgs >>= 1;
        }
        return wgs == l.wgs ? l : new KernelLayout(l.wgPerRow, wgs, l.vecw, l.split, l.rpw);
    }

    /** Parses {@code v0[:wgs]}, {@code v0v[:vecw[:wgs[:rpw]]]}, {@code v1[:wgs[:rpg]]}, {@code v2[:wgs[:rpg]]}, {@code v3[:wgs[:split]]}; null for null or blank. */
    static KernelLayout parse(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String[] p = s.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            switch (p[0]) {
                case "v0":
                    return new KernelLayout(false, p.length > 1 ? Integer.parseInt(p[1]) : 64, 1);
                case "v0v":
                    return new KernelLayout(false, p.length > 2 ? Integer.parseInt(p[2]) : 8,
                            p.length > 1 ? Integer.parseInt(p[1]) : 8, 0, p.length > 3 ? Integer.parseInt(p[3]) : 1);
                case "v1":
                    return new KernelLayout(true, p.length > 1 ? Integer.parseInt(p[1]) : 128, 1, 0,
                            p.length > 2 ? Integer.parseInt(p[2]) : 1);
                case "v2":
                    return new KernelLayout(true, p.length > 1 ? Integer.parseInt(p[1]) : 128, 4, 0,
                            p.length > 2 ? Integer.parseInt(p[2]) : 1);
                case "v3":
                    return new KernelLayout(true, p.length > 1 ? Integer.parseInt(p[1]) : 128, 1,
                            p.length > 2 ? Integer.parseInt(p[2]) : 8);
                default:
                    break;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + ": " + e.getMessage() + " in '" + s + "'");
        }
        throw new IllegalArgumentException(PROPERTY + " must be v0[:wgs], v0v[:vecw[:wgs[:rpw]]], v1[:wgs[:rpg]], v2[:wgs[:rpg]] or v3[:wgs[:split]], got '" + s + "'");
    }

    @Override
    public String toString() {
        String rows = rpw > 1 ? ":" + rpw : "";
        return splitRows() ? "v3:" + wgs + ":" + split : quads() ? "v2:" + wgs + rows : wgPerRow ? "v1:" + wgs + rows
                : vector() ? "v0v:" + vecw + ":" + wgs + rows : "v0:" + wgs;
    }
}
