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
import org.softmaxcl.SoftmaxOptions;

/** Row-wise softmax into a caller-supplied buffer, over backends × the yardstick shapes. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
public class SoftmaxBench {
    @Param({"cpu-vector", "cpu-float32", "cpu-scalar", "opencl"})
    public String backend;

    @Param({"262144x10", "16384x1000", "2048x32000", "64x262144"})
    public String shape;

    @Param({"REFUSE", "PROPAGATE"})
    public String nonFinite;

    @Param({"2"})
    public int threads;

    private Engine engine;
    private Batch batch;
    private SoftmaxOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Batch.engine(backend, threads);
        batch = new Batch(shape, 42);
        options = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.valueOf(nonFinite));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public float[] softmax() {
        engine.softmax(batch.x(), batch.y(), options);
        return batch.out;
    }
}
