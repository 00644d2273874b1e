package org.softmaxcl.opencl;

import java.util.Locale;

/**
 * How a row kernel is laid out on the device (see {@code kernels-cl/common.cl}):
 * <ul>
 *   <li>V0, a work-item per row walking it one float at a time ({@code xent.cl}, {@code softmax.cl});</li>
 *   <li>V0v, a work-item per row in vectors of {@code vecw} floats ({@code xent_vec.cl},
 *       {@code softmax_vec.cl}): the CPU-device variant;</li>
 *   <li>V1, a work-group of {@code wgs} work-items per row with local-memory reductions: the GPU
 *       variant for medium and large K.</li>
 * </ul>
 *
 * @param wgPerRow true for V1
 * @param wgs      work-group size: rows per group in V0, work-items per row in V1 (a power of two)
 * @param vecw     floats per vector operation in V0v (4, 8 or 16), 1 for the scalar kernels
 */
record KernelLayout(boolean wgPerRow, int wgs, int vecw) {

    /** System property forcing a layout: {@code v0}, {@code v0:64}, {@code v0v:8}, {@code v1:256}. */
    static final String PROPERTY = "softmaxcl.opencl.layout";

    KernelLayout {
        if (wgs < 1 || Integer.bitCount(wgs) != 1) {
            throw new IllegalArgumentException("work-group size must be a power of two, got " + wgs);
        }
        if (vecw != 1 && vecw != 4 && vecw != 8 && vecw != 16) {
            throw new IllegalArgumentException("vector width must be 1, 4, 8 or 16, got " + vecw);
        }
        if (wgPerRow && vecw != 1) {
            throw new IllegalArgumentException("V1 (a work-group per row) has no vector variant");
        }
    }

    /** True for the vector-register variant (V0v). */
    boolean vector() {
        return vecw > 1;
    }

    /** The -D options of this layout. */
    String macros() {
        return "-DWG_PER_ROW=" + (wgPerRow ? 1 : 0) + " -DWGS=" + wgs + (vector() ? " -DVECW=" + vecw : "");
    }

    /** The kernel file of an operation for this layout: {@code base.cl} or {@code base_vec.cl}. */
    String file(String base) {
        return vector() ? base + "_vec.cl" : base + ".cl";
    }

    /** The kernel name of an operation for this layout. */
    String kernel(String name) {
        return vector() ? name + "_vec" : name;
    }

    long global(int rows) {
        return wgPerRow ? (long) rows * wgs : ((rows + (long) wgs - 1) / wgs) * wgs;
    }

    long local() {
        return wgs;
    }

    /**
     * The layout for rows of K classes on a device: the forced one, else the device's entry in the
     * {@link TuningDatabase} (CPU devices: a work-item per row in vector registers; GPUs: a
     * work-group per row beyond small K). The work-group size is then fitted to the device and,
     * for V1, to the row: no more work-items than K (rounded down to a power of two).
     */
    static KernelLayout choose(DeviceInfo d, int k, KernelLayout forced) {
        return clamp(forced != null ? forced : TuningDatabase.lookup(d).layoutFor(k), d, k);
    }

    private static KernelLayout clamp(KernelLayout l, DeviceInfo d, int k) {
        int wgs = l.wgs;
        while (wgs > 1 && (wgs > d.maxWorkGroup() || (l.wgPerRow && wgs > k))) {
            wgs >>= 1;
        }
        return wgs == l.wgs ? l : new KernelLayout(l.wgPerRow, wgs, l.vecw);
    }

    /** Parses {@code v0[:wgs]}, {@code v0v[:vecw[:wgs]]}, {@code v1[:wgs]}; null for null or blank. */
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
                            p.length > 1 ? Integer.parseInt(p[1]) : 8);
                case "v1":
                    return new KernelLayout(true, p.length > 1 ? Integer.parseInt(p[1]) : 128, 1);
                default:
                    break;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + ": " + e.getMessage() + " in '" + s + "'");
        }
        throw new IllegalArgumentException(PROPERTY + " must be v0[:wgs], v0v[:vecw[:wgs]] or v1[:wgs], got '" + s + "'");
    }

    @Override
    public String toString() {
        return wgPerRow ? "v1:" + wgs : vector() ? "v0v:" + vecw + ":" + wgs : "v0:" + wgs;
    }
}
