package org.softmaxcl.opencl;

import java.lang.System.Logger.Level;

import org.softmaxcl.BackendKind;
import org.softmaxcl.BackendReport;
import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.DeviceData;
import org.softmaxcl.backend.BackwardTask;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SoftmaxTask;
import org.softmaxcl.backend.XentTask;

/**
 * The OpenCL backend: one context and in-order queue on one device, programs built from
 * {@code kernels-cl/*.cl} on first use, pooled device buffers. Calls are serialised by one lock
 * (kernel arguments and buffers are shared); {@link #close()} releases every OpenCL object.
 */
public final class OpenClBackend implements Backend {
    private static final System.Logger LOG = System.getLogger(OpenClBackend.class.getName());

    private final ClRuntime rt;
    private final String reason;
    private final Object lock = new Object();
    /** Device-resident matrices still alive (released with the backend). */
    private final java.util.Set<ClData> residents = new java.util.LinkedHashSet<>();
    private boolean closed;

    private OpenClBackend(ClRuntime rt, String reason) {
        this.rt = rt;
        this.reason = reason;
    }

    /**
     * Opens the device picked by {@code selector} (null: the preferred one, see
     * {@link OpenClProbe}) and builds the default kernels, so that a device whose compiler fails is
     * found here rather than at the first call.
     *
     * @param selector null, {@code "platform:device"}, or part of a device name
     * @param layout   null, or a forced kernel layout ({@code "v0"}, {@code "v1:128"})
     * @param reason   the reason to report
     * @throws OpenClUnavailableException when no device works, with the reason
     */
    public static OpenClBackend open(String selector, String layout, String reason) {
        return open(selector, layout, reason, chunkBytes(System.getProperty(CHUNK_PROPERTY)));
    }

    /**
     * System property: the size of the chunks in which large host batches are uploaded while
     * earlier chunks compute, in MiB ({@code "32"}, {@code "0.5"}), {@code "off"}, or {@code "auto"}
     * (the default: 32 MiB chunks on devices that are not CPUs, one piece on CPU devices).
     */
    public static final String CHUNK_PROPERTY = "softmaxcl.opencl.chunkMiB";

    /** Bytes per chunk from the value of {@link #CHUNK_PROPERTY} (null: auto). */
    static long chunkBytes(String v) {
        if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("auto")) {
            return ClRuntime.CHUNKS_AUTO;
        }
        if (v.trim().equalsIgnoreCase("off")) {
            return 0;
        }
        double mib;
        try {
            mib = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            mib = Double.NaN;
        }
        if (!(mib > 0) || mib > 1 << 20) {
            throw new IllegalArgumentException(CHUNK_PROPERTY + " must be auto, off or a size in MiB in (0, 1048576], got '" + v + "'");
        }
        return Math.max(1, (long) (mib * (1 << 20)));
    }

    /** {@link #open(String, String, String)} with the chunk size given ({@link ClRuntime#chunkBytes}). */
    static OpenClBackend open(String selector, String layout, String reason, long chunkBytes) {
        ProbeResult probe = OpenClProbe.probe();
        String why = probe.whyNoDevice();
        if (why != null) {
            throw new OpenClUnavailableException(why);
        }
        ClDevice dev;
        try {
            dev = OpenClProbe.choose(selector);
        } catch (IllegalArgumentException e) {
            throw new OpenClUnavailableException(e.getMessage());
        }
        // Parsed before the context exists, so a bad value leaks nothing.
        KernelLayout forced = KernelLayout.parse(layout);
        ClContext ctx;
        try {
            ctx = ClContext.open(dev);
        } catch (OpenClException | LinkageError e) {
            throw new OpenClUnavailableException("device " + dev.info().name() + ": " + e.getMessage());
        }
        ClRuntime rt = new ClRuntime(ctx, forced, chunkBytes);
        boolean built = false;
        try {
            warmUp(rt);
            built = true;
        } catch (OpenClException | LinkageError | IllegalStateException e) {
            throw new OpenClUnavailableException("device " + dev.info().name() + ": kernels do not build: " + e.getMessage());
        } finally {
            if (!built) {
                rt.close();
            }
        }
        LOG.log(Level.DEBUG, "OpenCL backend on {0}", dev.info().describe());
        return new OpenClBackend(rt, reason);
    }

    /** Builds the common variants (and so checks the device's compiler works). */
    private static void warmUp(ClRuntime rt) {
        KernelLayout l = rt.layout(1024);
        rt.kernel(l.file(XentLauncher.OP), l.kernel(XentLauncher.OP), l.macros()
                + " -DSOFT=0 -DWEIGHTS=0 -DSMOOTH=0 -DSOFTCAP=0 -DROW_TEMP=0 -DROW_SCALE=0 -DGRAD=1 -DSTATS=0");
    }

    /**
     * A key for what a measurement of {@code task} on this backend depends on (the calibration
     * cache's, {@code Calibration}): a hash of the kernel sources, the layout the call takes, the
     * build options the launcher asks for (derived as it derives them, so every setting that
     * changes the program changes the key and no other does; the device's later fit of the row
     * cache to its work-group limit depends on these options alone), the upload's chunking
     * and the library version: a library or kernel change, a retuned device, a forced layout or
     * another build setting measures again instead of reusing an old figure, while a setting
     * that leaves the program as it was (the lean form where no row is cached, say) does not.
     *
     * @param task the call to be measured (its shape and options choose layout and program)
     * @return 32 hexadecimal digits
     */
    public String measurementFingerprint(XentTask task) {
        KernelLayout l;
        String options;
        int chunkRows;
        synchronized (lock) {
            l = rt.xentLayout(task.cols(), task.rows());
            options = rt.buildOptions(XentLauncher.options(task, l, rt.ctx.info().isGpu()));
            chunkRows = rt.chunkRows(task.logits(), l);
        }
        String version = OpenClBackend.class.getPackage().getImplementationVersion();
        return KernelSource.hashOfKernels(l + "|" + options + "|chunk rows " + chunkRows + "|" + (version != null ? version : "dev"));
    }

    /** The device this backend runs on. */
    public DeviceInfo device() {
        return rt.ctx.info();
    }

    /** Kernel-only device time of the last call in nanoseconds, from profiling events. */
    @Override
    public long lastKernelNanos() {
        synchronized (lock) {
            return rt.lastKernelNanos;
        }
    }

    /**
     * Makes every later call take {@code layout} (null: the tuning database's choice), as if the
     * backend had been opened with it: the {@link Tuner} times every layout on one context and one
     * set of device buffers this way.
     *
     * @throws IllegalArgumentException when the layout does not parse (the message names it)
     */
    void forceLayout(String layout) {
        KernelLayout l = KernelLayout.parse(layout);
        synchronized (lock) {
            rt.forcedLayout = l;
        }
    }

    /** Number of chunks the last call's logits were uploaded in (0: one piece). */
    int lastChunks() {
        synchronized (lock) {
            return rt.lastChunks;
        }
    }

    /** Number of programs built in this backend so far. */
    public int programCount() {
        synchronized (lock) {
            return rt.programs.programCount();
        }
    }

    /** Number of programs this backend built from a cached binary instead of source. */
    public int binaryCacheHits() {
        synchronized (lock) {
            return rt.programs.binaryHits;
        }
    }

    /** Number of live pooled device buffers. */
    public int liveBuffers() {
        synchronized (lock) {
            return rt.buffers.live();
        }
    }

    @Override
    public BackendReport report() {
        DeviceInfo d = rt.ctx.info();
        return new BackendReport(BackendKind.OPENCL, d.name() + " (" + d.platformName() + ", " + d.type() + ")", reason);
    }

    @Override
    public void softmax(SoftmaxTask t) {
        synchronized (lock) {
            ensureOpen();
            SoftmaxLauncher.forward(rt, t);
        }
    }

    @Override
    public void backward(BackwardTask t) {
        synchronized (lock) {
            ensureOpen();
            SoftmaxLauncher.backward(rt, t);
        }
    }

    @Override
    public void crossEntropy(XentTask t, RowOutputs out) {
        synchronized (lock) {
            ensureOpen();
            XentLauncher.run(rt, t, null, null, out);
        }
    }

    @Override
    public DeviceData allocate(int rows, int cols) {
        synchronized (lock) {
            ensureOpen();
            ClData d = ClData.allocate(this, rt.ctx, rows, cols);
            residents.add(d);
            return d;
        }
    }

    @Override
    public void crossEntropy(XentTask t, DeviceData x, DeviceData g, RowOutputs out) {
        synchronized (lock) {
            ensureOpen();
            XentLauncher.run(rt, t, live(x), g == null ? null : live(g), out);
        }
    }

    @Override
    public void softmax(SoftmaxTask t, DeviceData in, DeviceData out) {
        synchronized (lock) {
            ensureOpen();
            SoftmaxLauncher.forward(rt, t, live(in), live(out));
        }
    }

    private ClData live(DeviceData d) {
        if (!(d instanceof ClData) || ((ClData) d).owner != this) {
            throw new IllegalArgumentException("device matrix " + d + " belongs to another backend");
        }
        ClData c = (ClData) d;
        c.ensureLive();
        return c;
    }

    /** Runs a transfer on the device under the backend's lock. */
    void onDevice(java.util.function.Consumer<ClContext> action) {
        synchronized (lock) {
            ensureOpen();
            action.accept(rt.ctx);
        }
    }

    /** Releases a device matrix (idempotent; a no-op after the backend released everything). */
    void release(ClData d) {
        synchronized (lock) {
            if (residents.remove(d)) {
                d.releaseNow();
            }
        }
    }

    /** Number of live device-resident matrices. */
    public int liveMatrices() {
        synchronized (lock) {
            return residents.size();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL backend is closed");
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                for (ClData d : residents) {
                    d.releaseNow();
                }
                residents.clear();
                rt.close();
            }
        }
    }
}
