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
     * The layout for rows of K classes on a device: on CPU devices a work-item per row in vector
     * registers (barriers are expensive there, and explicit vectors map onto SIMD), and the scalar
     * V0 when K is below one vector; on GPUs a work-item per row for small K, else a work-group per
     * row. The work-group size fits the device and, for V1, the row: no more work-items than K
     * (rounded down to a power of two), so no work-item is idle.
     */
    static KernelLayout choose(DeviceInfo d, int k, KernelLayout forced) {
        KernelLayout l;
        if (forced != null) {
            l = forced;
        } else if (d.isCpu()) {
            l = k >= 8 ? new KernelLayout(false, 8, 8) : new KernelLayout(false, 64, 1);
        } else if (k <= 32) {
            l = new KernelLayout(false, 64, 1);
        } else {
            l = new KernelLayout(true, k <= 512 ? 64 : k <= 4096 ? 128 : 256, 1);
        }
        return clamp(l, d, k);
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
