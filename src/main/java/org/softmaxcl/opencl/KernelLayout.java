package org.softmaxcl.opencl;

import java.util.Locale;

/**
 * How a row kernel is laid out on the device (see {@code kernels-cl/common.cl}):
 * V0 a work-item per row, V1 a work-group of {@code wgs} work-items per row.
 *
 * @param wgPerRow true for V1
 * @param wgs      work-group size: rows per group in V0, work-items per row in V1 (a power of two)
 */
record KernelLayout(boolean wgPerRow, int wgs) {

    /** System property forcing a layout: {@code v0}, {@code v1} or {@code v1:256}. */
    static final String PROPERTY = "softmaxcl.opencl.layout";

    KernelLayout {
        if (wgs < 1 || Integer.bitCount(wgs) != 1) {
            throw new IllegalArgumentException("work-group size must be a power of two, got " + wgs);
        }
    }

    /** The -D options of this layout. */
    String macros() {
        return "-DWG_PER_ROW=" + (wgPerRow ? 1 : 0) + " -DWGS=" + wgs;
    }

    long global(int rows) {
        return wgPerRow ? (long) rows * wgs : ((rows + (long) wgs - 1) / wgs) * wgs;
    }

    long local() {
        return wgs;
    }

    /**
     * The layout for rows of K classes on a device: a work-item per row on CPU devices (barriers are
     * expensive there, and PoCL vectorises across work-items) and for small K; a work-group per row
     * on GPUs otherwise.
     */
    static KernelLayout choose(DeviceInfo d, int k, KernelLayout forced) {
        if (forced != null) {
            return clamp(forced, d, k);
        }
        if (d.isCpu() || k <= 32) {
            return clamp(new KernelLayout(false, 64), d, k);
        }
        int wgs = k <= 512 ? 64 : k <= 4096 ? 128 : 256;
        return clamp(new KernelLayout(true, wgs), d, k);
    }

    /**
     * Fits the work-group size to the device and, for V1, to the row: no more work-items than K
     * (rounded down to a power of two), so every work-item owns at least one column. PoCL 3.1's
     * default work-group method (loopvec) miscompiles the V1 kernels when some work-items have no
     * column, and the kernel writes out of bounds (SIGSEGV, heap corruption).
     */
    private static KernelLayout clamp(KernelLayout l, DeviceInfo d, int k) {
        int wgs = l.wgs;
        while (wgs > 1 && (wgs > d.maxWorkGroup() || (l.wgPerRow && wgs > k))) {
            wgs >>= 1;
        }
        return wgs == l.wgs ? l : new KernelLayout(l.wgPerRow, wgs);
    }

    /** Parses {@code v0}, {@code v0:64}, {@code v1}, {@code v1:256}; null for null or blank. */
    static KernelLayout parse(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String[] p = s.trim().toLowerCase(Locale.ROOT).split(":");
        boolean v1;
        if (p[0].equals("v0")) {
            v1 = false;
        } else if (p[0].equals("v1")) {
            v1 = true;
        } else {
            throw new IllegalArgumentException(PROPERTY + " must be v0[:wgs] or v1[:wgs], got '" + s + "'");
        }
        int wgs = p.length > 1 ? Integer.parseInt(p[1]) : (v1 ? 128 : 64);
        return new KernelLayout(v1, wgs);
    }

    @Override
    public String toString() {
        return (wgPerRow ? "v1" : "v0") + ":" + wgs;
    }
}
