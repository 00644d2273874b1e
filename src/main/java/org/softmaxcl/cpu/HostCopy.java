package org.softmaxcl.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A STREAM-style copy of a float array over threads: the machine's memory bandwidth at 8 bytes per
 * element (one read, one write), the ceiling of a fused pass that reads the logits once and
 * writes the gradient once, and the yardstick the {@code bench} command and the JMH
 * {@code CopyBench} measure the kernels against.
 *
 * <p>The array is cut into chunks of {@value #CHUNK} floats (2 MiB) that the caller's thread and
 * {@code threads − 1} pool threads take in turn, as {@link CpuBackend} deals its rows, so that a
 * core slowed by another tenant of the machine weighs on the copy as it does on the kernels.
 * Calls are serialised; {@link #close} stops the pool's threads.
 */
public final class HostCopy implements AutoCloseable {
    /** Floats per chunk: 2 MiB. */
    public static final int CHUNK = 1 << 19;

    private final int threads;
    private final ExecutorService pool;
    private boolean closed;

    /**
     * @param threads threads a copy uses, the caller's included (≥ 1)
     * @throws IllegalArgumentException when threads &lt; 1
     */
    public HostCopy(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "softmaxcl-copy");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** The threads a copy uses, the caller's included. */
    public int threads() {
        return threads;
    }

    /**
     * Copies src[0, length) into dst[0, length) and returns when every chunk is done.
     *
     * @throws NullPointerException     when src or dst is null
     * @throws IllegalArgumentException when length is negative or longer than src or dst
     * @throws IllegalStateException    after {@link #close}
     */
    public synchronized void copy(float[] src, float[] dst, int length) {
        if (src == null || dst == null) {
            throw new NullPointerException(src == null ? "src is null" : "dst is null");
        }
        if (length < 0 || length > src.length || length > dst.length) {
            throw new IllegalArgumentException("length " + length + " must be in [0, " + Math.min(src.length, dst.length)
                    + "] (src holds " + src.length + " floats, dst " + dst.length + ")");
        }
        if (closed) {
            throw new IllegalStateException("this HostCopy is closed");
        }
        int chunks = (length + CHUNK - 1) / CHUNK;
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                int o = c * CHUNK;
                System.arraycopy(src, o, dst, o, Math.min(CHUNK, length - o));
            }
        };
        Workers.run(pool, Math.min(threads, chunks), worker);   // waited for even when interrupted
    }

    /** Stops the pool's threads; later copies throw. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
