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
 * Fused cross-entropy over a K sweep from 2 to 262144 at N·K = 2^22 elements (16 MiB of logits),
 * or 2^{@code log2Elements}: {@code -p log2Elements=22,26} runs the sweep twice, the second time
 * with 256 MiB of logits and as much gradient, more than the host's last-level cache, so that
 * the curve shows the rate from memory, the one the copy bandwidth bounds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
public class KSweepBench {
    @Param({"cpu-vector", "opencl"})
    public String backend;

    @Param({"2", "8", "32", "128", "512", "2048", "8192", "32768", "131072", "262144"})
    public int k;

    /** log2 of N·K. */
    @Param({"22"})
    public int log2Elements;

    private Engine engine;
    private Batch batch;
    private XentOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Batch.engine(backend, 2);
        batch = new Batch(((1 << log2Elements) / k) + "x" + k, 42);
        options = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).build();
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
