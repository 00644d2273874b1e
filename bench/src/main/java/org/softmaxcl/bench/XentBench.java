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
import org.softmaxcl.FloatMatrix;
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
    @Param({"cpu-vector", "cpu-float32", "cpu-scalar", "opencl"})
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

    /**
     * The loss's options: {@code plain} (the yardstick), {@code smooth} (label smoothing 0.1),
     * {@code soft} (soft targets: 0.9 on the hard target, the rest spread evenly), {@code stats}
     * (row statistics) or {@code softcap} (30); {@code -p options=plain,smooth,soft,stats,softcap}
     * puts each option's path beside the plain one.
     */
    @Param({"plain"})
    public String options;

    private Engine engine;
    private Batch batch;
    private XentOptions xentOptions;
    private Targets targets;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty("softmaxcl.opencl.chunkMiB", chunkMiB);
        engine = Batch.engine(backend, threads);
        batch = new Batch(shape, 42);
        XentOptions.Builder b = XentOptions.builder().nonFinite(NonFinitePolicy.valueOf(nonFinite));
        targets = Targets.hard(batch.targets);
        switch (options) {
            case "plain" -> { }
            case "smooth" -> b.labelSmoothing(0.1f);
            case "stats" -> b.rowStats(true);
            case "softcap" -> b.softcap(30f);
            case "soft" -> {
                float[] y = new float[batch.rows * batch.cols];
                java.util.Arrays.fill(y, 0.1f / (batch.cols - 1));
                for (int i = 0; i < batch.rows; i++) {
                    y[i * batch.cols + batch.targets[i]] = 0.9f;
                }
                targets = Targets.soft(FloatMatrix.of(y, batch.rows, batch.cols));
            }
            default -> throw new IllegalArgumentException("options must be plain, smooth, soft, stats or softcap, got " + options);
        }
        xentOptions = b.build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public XentResult forwardBackward() {
        return engine.crossEntropyWithGradient(batch.x(), targets, xentOptions, batch.y());
    }
}
