package org.softmaxcl.bench;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * STREAM-style copy of 2^25 floats (128 MiB in, 128 MiB out) over threads: the machine's memory
 * bandwidth at 8 bytes per element (read + write), the ceiling of a fused pass. The threads take
 * chunks of {@value #CHUNK} floats in turn, as the CPU backend deals its rows, so that a core slowed
 * by another tenant of the machine weighs on the copy as it does on the kernels.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class CopyBench {
    public static final int ELEMENTS = 1 << 25;
    /** Floats per chunk: 2 MiB, 16 chunks per thread on 2 threads. */
    public static final int CHUNK = 1 << 19;

    @Param({"2"})
    public int threads;

    private float[] src;
    private float[] dst;
    private ExecutorService pool;

    @Setup(Level.Trial)
    public void setUp() {
        src = new float[ELEMENTS];
        dst = new float[ELEMENTS];
        java.util.Arrays.fill(src, 1f);
        java.util.Arrays.fill(dst, 2f);
        pool = Executors.newFixedThreadPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.shutdownNow();
    }

    @Benchmark
    public float[] copy() throws Exception {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int c = next.getAndIncrement(); c < ELEMENTS / CHUNK; c = next.getAndIncrement()) {
                System.arraycopy(src, c * CHUNK, dst, c * CHUNK, CHUNK);
            }
        };
        Future<?>[] f = new Future<?>[threads];
        for (int t = 0; t < threads; t++) {
            f[t] = pool.submit(worker);
        }
        for (Future<?> x : f) {
            x.get();
        }
        return dst;
    }
}
