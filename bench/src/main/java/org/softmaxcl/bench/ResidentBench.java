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
import org.softmaxcl.DeviceMatrix;
import org.softmaxcl.Engine;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * Device-resident calls: the logits are uploaded once ({@link Engine#upload}), and each call runs
 * the fused cross-entropy pass into a device-resident gradient and reads back only the loss (one
 * number), or softmax from one device matrix into another. On OpenCL this is the kernels' time plus
 * the launch and the loss read-back, the figure to hold against {@link DeviceCopyBench}; on the CPU
 * backend a device matrix is host memory, so it matches {@link XentBench} and {@link SoftmaxBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx8g"})
public class ResidentBench {
    @Param({"opencl"})
    public String backend;

    @Param({"262144x10", "16384x1000", "8192x4096", "2048x32000", "64x262144"})
    public String shape;

    /** {@code xent} (fused forward + backward, hard targets, mean) or {@code softmax}. */
    @Param({"xent", "softmax"})
    public String op;

    @Param({"REFUSE"})
    public String nonFinite;

    @Param({"2"})
    public int threads;

    /**
     * The cross-entropy's register row caches (softmaxcl.opencl.rowCache), for A/B runs:
     * {@code default} (V2's on, V1's off), {@code true} (both on) or {@code false} (both off).
     */
    @Param({"default"})
    public String rowCache;

    private Engine engine;
    private DeviceMatrix logits;
    private DeviceMatrix out;
    private Targets targets;
    private XentOptions xentOptions;
    private SoftmaxOptions softmaxOptions;

    @Setup(Level.Trial)
    public void setUp() {
        if (!op.equals("xent") && !op.equals("softmax")) {
            throw new IllegalArgumentException("op must be xent or softmax, got " + op);
        }
        if (rowCache.equals("default")) {
            System.clearProperty("softmaxcl.opencl.rowCache");
        } else {
            System.setProperty("softmaxcl.opencl.rowCache", rowCache);
        }
        engine = Batch.engine(backend, threads);
        Batch batch = new Batch(shape, 42);
        logits = engine.upload(batch.x());
        out = engine.allocate(batch.rows, batch.cols);
        targets = Targets.hard(batch.targets);
        NonFinitePolicy policy = NonFinitePolicy.valueOf(nonFinite);
        xentOptions = XentOptions.builder().nonFinite(policy).build();
        softmaxOptions = SoftmaxOptions.DEFAULTS.withNonFinite(policy);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.close();
        logits.close();
        engine.close();
    }

    @Benchmark
    public Object call() {
        if (op.equals("xent")) {
            return engine.crossEntropyWithGradient(logits, targets, xentOptions, out);
        }
        engine.softmax(logits, out, softmaxOptions);
        return out;
    }
}
