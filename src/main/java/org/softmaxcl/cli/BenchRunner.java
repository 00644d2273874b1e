package org.softmaxcl.cli;

import java.util.Locale;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.opencl.OpenClBackend;

/**
 * Times one operation on one engine: a seeded {@link SyntheticBatch}, {@code warmup} untimed
 * calls, then {@code reps} timed ones. Outputs are allocated once and reused, as a caller in a
 * training loop would.
 */
final class BenchRunner {
    /** The operations the benchmark knows. */
    enum Op {
        XENT, SOFTMAX;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private BenchRunner() {
    }

    /**
     * @param engine  the engine to time
     * @param opencl  the OpenCL backend under the engine (for kernel-only times), or null
     * @param threads CPU threads (reported for the CPU backend)
     */
    static BenchResult run(Engine engine, OpenClBackend opencl, int threads, Op op, int rows, int classes,
                           int warmup, int reps, long seed, Progress progress) {
        SyntheticBatch batch = SyntheticBatch.of(rows, classes, seed);
        FloatMatrix x = FloatMatrix.of(batch.logits(), rows, classes);
        FloatMatrix out = FloatMatrix.of(new float[batch.logits().length], rows, classes);
        Targets t = Targets.hard(batch.targets());
        Runnable call = op == Op.XENT
                ? () -> engine.crossEntropyWithGradient(x, t, XentOptions.DEFAULTS, out)
                : () -> engine.softmax(x, out);
        String backend = engine.backendKind().name().toLowerCase(Locale.ROOT);
        String label = String.format(Locale.ROOT, "bench %s %dx%d on %s", op.label(), rows, classes, backend);
        for (int i = 0; i < warmup; i++) {
            progress.update(label + ": warm-up " + (i + 1) + "/" + warmup);
            call.run();
        }
        long[] wall = new long[reps];
        long[] kernel = opencl != null ? new long[reps] : null;
        for (int i = 0; i < reps; i++) {
            progress.update(label + ": call " + (i + 1) + "/" + reps);
            long t0 = System.nanoTime();
            call.run();
            wall[i] = System.nanoTime() - t0;
            if (kernel != null) {
                kernel[i] = opencl.lastKernelNanos();
            }
        }
        return new BenchResult(backend, engine.report().device(), op.label(), rows, classes, warmup, reps, threads,
                Timing.of(wall), kernel != null ? Timing.of(kernel) : null);
    }
}
