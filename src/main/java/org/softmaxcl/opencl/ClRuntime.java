package org.softmaxcl.opencl;

import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.softmaxcl.FloatMatrix;

/**
 * What the launchers share: the context and queue, the program cache, the buffer pool, the
 * layout override, and the device time of the last kernels. Guarded by the backend's lock.
 */
final class ClRuntime implements AutoCloseable {
    final ClContext ctx;
    final ProgramCache programs;
    final BufferPool buffers;
    /** The layout every call takes (null: the tuning database's); changed only by {@link OpenClBackend#forceLayout}. */
    KernelLayout forcedLayout;
    /** Kernel nanoseconds of the last call (sum over its launches). */
    long lastKernelNanos;
    /** Bytes of logits per pipelined chunk: {@link #CHUNKS_AUTO}, 0 (never pipelined) or a forced size. */
    final long chunkBytes;
    /** {@link #maxGroup} per kernel, asked of the driver once. */
    private final java.util.Map<cl_kernel, Long> maxGroups = new java.util.HashMap<>();
    /** Number of chunks of the last call's pipelined upload (0: uploaded in one piece). */
    int lastChunks;
    private PinnedStaging staging;

    /** {@link #chunkBytes}: pipelined in chunks of {@link #AUTO_CHUNK_BYTES} on devices that are not CPUs. */
    static final long CHUNKS_AUTO = -1;
    static final long AUTO_CHUNK_BYTES = 32L << 20;
    /** Rows per chunk are a multiple of this, and of the rows of a V0 work-group where that is more. */
    static final int CHUNK_ROW_QUANTUM = 1024;

    /**
     * System property: extra options for every program build, after the kernels' own -D options
     * (for example {@code -cl-nv-maxrregcount=40} on NVIDIA's compiler); part of each program's
     * key and of its binary's cache key. For experiments and per-device tuning runs.
     */
    static final String BUILD_OPTIONS_PROPERTY = "softmaxcl.opencl.buildOptions";
    /** {@link #BUILD_OPTIONS_PROPERTY} as read when this runtime was made ("" or " " + options). */
    final String extraOptions;

    ClRuntime(ClContext ctx, KernelLayout forcedLayout, long chunkBytes) {
        String extra = System.getProperty(BUILD_OPTIONS_PROPERTY, "").trim();
        this.extraOptions = extra.isEmpty() ? "" : " " + extra;
        this.ctx = ctx;
        this.programs = new ProgramCache(ctx);
        this.buffers = new BufferPool(ctx);
        this.forcedLayout = forcedLayout;
        this.chunkBytes = chunkBytes;
    }

    /**
     * Rows per chunk of a pipelined upload of {@code x} under {@code layout}, or 0 for one piece:
     * pipelined only for host matrices of at least two chunks, on row layouts (V3 splits rows
     * instead), with chunks of whole multiples of {@value #CHUNK_ROW_QUANTUM} rows. On a CPU device
     * an upload is a memory copy by the same cores that run the kernel, so nothing overlaps and
     * {@link #CHUNKS_AUTO} keeps one piece there.
     */
    int chunkRows(FloatMatrix x, KernelLayout layout) {
        long bytes = chunkBytes == CHUNKS_AUTO ? (ctx.info().isCpu() ? 0 : AUTO_CHUNK_BYTES) : chunkBytes;
        if (bytes <= 0 || layout.splitRows()) {
            return 0;
        }
        long perRow = (long) x.stride() * org.jocl.Sizeof.cl_float;
        // Whole work-groups per chunk (a multiple of wgs · rpw rows), so no two launches share a
        // row or a work-item, and a work-item never reads ahead into a chunk still uploading.
        long group = layout.rowsPerGroup();
        long quantum = (CHUNK_ROW_QUANTUM + group - 1) / group * group;
        long rows = Math.max(1, bytes / perRow / quantum) * quantum;
        return x.rows() >= 2 * rows ? (int) rows : 0;
    }

    /** Two pinned staging areas of at least {@code bytes} bytes each, kept between calls. */
    PinnedStaging staging(long bytes) {
        if (staging == null || staging.bytes() < bytes) {
            if (staging != null) {
                staging.close();
                staging = null;
            }
            staging = new PinnedStaging(ctx, bytes);
        }
        return staging;
    }

    /** The layout for rows of K classes, without V3 (operations that have no split kernel). */
    KernelLayout layout(int k) {
        return KernelLayout.choose(ctx.info(), k, forcedLayout).withoutSplit();
    }

    /** The layout for N rows of K classes, without V3 (operations that have no split kernel). */
    KernelLayout layout(int k, int rows) {
        return xentLayout(k, rows).withoutSplit();
    }

    /** The layout for N rows of K classes of the cross-entropy, V3 included. */
    KernelLayout xentLayout(int k, int rows) {
        return KernelLayout.choose(ctx.info(), k, rows, forcedLayout);
    }

    cl_kernel kernel(String file, String name, String options) {
        return programs.kernel(file, name, buildOptions(options));
    }

    /** The options a program is built with when a launcher asks for {@code options}: the language version and {@link #extraOptions} added. */
    String buildOptions(String options) {
        return options + " -cl-std=CL1.2" + extraOptions;
    }

    /**
     * The largest work-group the device runs this kernel with (its registers and local memory
     * decide), asked of the driver once per kernel (kernels are cached, so calls after the first
     * cost a map lookup).
     */
    long maxGroup(cl_kernel k) {
        return maxGroups.computeIfAbsent(k, kk -> Cl.kernelGroupSize(kk, ctx.device.id(), org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE));
    }

    /**
     * {@code opts} of kernel {@code name} in {@code file} with the register row cache dropped
     * ({@code ROW_CACHE=0}) when the device cannot run that kernel, cached, with work-groups of
     * {@code wgs}: the registers of a long cached row times a large work-group can exceed the
     * compute unit's (seen on an H200: v2:1024 with 8 quads per work-item, CL_OUT_OF_RESOURCES at
     * launch). Unchanged when {@code opts} keep no row in registers. The cross-entropy's and the
     * softmax forward's row caches both go through here.
     */
    String fitRowCache(String file, String name, String opts, long wgs) {
        if (!ROW_CACHE_ON.matcher(opts).find()) {
            return opts;
        }
        return withoutRowCacheAbove(opts, maxGroup(kernel(file, name, opts)), wgs);
    }

    private static final java.util.regex.Pattern ROW_CACHE_ON = java.util.regex.Pattern.compile(" -DROW_CACHE=[1-9]");

    /** {@code opts} with {@code ROW_CACHE=0} when a kernel that runs at most {@code kernelMax} work-items per group must run {@code wgs}. */
    static String withoutRowCacheAbove(String opts, long kernelMax, long wgs) {
        return wgs <= kernelMax ? opts : opts.replaceFirst(" -DROW_CACHE=\\d+", " -DROW_CACHE=0");
    }

    /**
     * The device buffer for a host matrix that is uploaded in chunks later (see
     * {@link ChunkedUpload}): its pooled slot, nothing written yet.
     */
    Operand pending(String slot, String name, FloatMatrix host) {
        return new Operand(buffer(slot, Transfers.span(host) * org.jocl.Sizeof.cl_float, Transfers.describe(name, host)),
                host.stride());
    }

    /** A matrix the kernel reads: its device buffer and row stride. */
    record Operand(cl_mem mem, int ld) {
    }

    /**
     * The device buffer of an input matrix: a resident one as it is (dense, stride K), else the
     * host matrix uploaded into the pooled slot {@code slot} (its own stride).
     */
    Operand input(String slot, String name, FloatMatrix host, ClData resident) {
        if (resident != null) {
            return new Operand(resident.mem, resident.cols());
        }
        Operand o = pending(slot, name, host);
        Transfers.upload(ctx, o.mem(), host);
        return o;
    }

    /** 1/T per row as float32 on the device when there are row temperatures, else a placeholder. */
    cl_mem rowInverseTemperatures(int n, boolean perRow, java.util.function.IntToDoubleFunction temperature) {
        if (!perRow) {
            return buffer("dummy", 16);
        }
        float[] inv = new float[n];
        for (int i = 0; i < n; i++) {
            inv[i] = (float) (1.0 / temperature.applyAsDouble(i));
        }
        cl_mem m = buffer("rowInvT", (long) n * org.jocl.Sizeof.cl_float, "rowTemperatures (" + n + " values)");
        Transfers.upload(ctx, m, inv);
        return m;
    }

    /** Moves the buffer of {@code slot} into the device matrix {@code d} (see {@link BufferPool#handOver}). */
    void handOver(String slot, ClData d) {
        buffers.handOver(slot, d);
    }

    cl_mem buffer(String slot, long bytes) {
        return buffers.get(slot, bytes, "'" + slot + "'");
    }

    /** A pooled device buffer for {@code slot} holding {@code bytes} bytes of the argument {@code argument}. */
    cl_mem buffer(String slot, long bytes, String argument) {
        return buffers.get(slot, bytes, argument);
    }

    @Override
    public void close() {
        try {
            if (staging != null) {
                staging.close();
                staging = null;
            }
            programs.close();
            buffers.close();
        } finally {
            ctx.close();
        }
    }
}
