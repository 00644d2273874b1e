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
import org.softmaxcl.Engine;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

/**
 * Fused cross-entropy forward + backward (hard targets, mean, gradient into a caller-supplied
 * buffer reused across calls), over backends × the four yardstick shapes. Time per call; the
 * results page turns it into Gelem/s = N·K / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
public class XentBench {
    @Param({"cpu-vector", "cpu-scalar", "opencl"})
    public String backend;

    @Param({"262144x10", "16384x1000", "2048x32000", "64x262144"})
    public String shape;

    /** REFUSE (default: one extra read of the logits to check them) or PROPAGATE (no check). */
    @Param({"REFUSE", "PROPAGATE"})
    public String nonFinite;

    @Param({"2"})
    public int threads;

    /**
     * OpenCL only: the pipelined-upload chunk size ({@code softmaxcl.opencl.chunkMiB}: auto, off, or
     * MiB); {@code -p chunkMiB=off,8} compares one-piece and pipelined uploads side by side.
     */
    @Param({"auto"})
    public String chunkMiB;

    private Engine engine;
    private Batch batch;
    private XentOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty("softmaxcl.opencl.chunkMiB", chunkMiB);
        engine = Batch.engine(backend, threads);
        batch = new Batch(shape, 42);
        options = XentOptions.builder().nonFinite(NonFinitePolicy.valueOf(nonFinite)).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public XentResult forwardBackward() {
        return engine.crossEntropyWithGradient(batch.x(), Targets.hard(batch.targets), options, batch.y());
    }
}
