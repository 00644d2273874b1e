package org.softmaxcl.bench;

import java.util.concurrent.TimeUnit;

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
import org.softmaxcl.cpu.HostCopy;

/**
 * STREAM-style copy of 2^25 floats (128 MiB in, 128 MiB out) over threads: the machine's memory
 * bandwidth at 8 bytes per element (read + write), the ceiling of a fused pass. The copy is the
 * library's {@link HostCopy} (chunks of 2 MiB that the threads take in turn, as the CPU backend
 * deals its rows), the same one the {@code bench} command pairs with every timed call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class CopyBench {
    public static final int ELEMENTS = 1 << 25;

    @Param({"2"})
    public int threads;

    private float[] src;
    private float[] dst;
    private HostCopy copy;

    @Setup(Level.Trial)
    public void setUp() {
        src = new float[ELEMENTS];
        dst = new float[ELEMENTS];
        java.util.Arrays.fill(src, 1f);
        java.util.Arrays.fill(dst, 2f);
        copy = new HostCopy(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        copy.close();
    }

    @Benchmark
    public float[] copy() {
        copy.copy(src, dst, ELEMENTS);
        return dst;
    }
}
