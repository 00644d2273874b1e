package org.softmaxcl.cli;

import java.util.Locale;

import org.softmaxcl.BackendKind;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.cpu.HostCopy;

/**
 * Times one operation on one engine: a seeded {@link SyntheticBatch}, {@code warmup} untimed
 * calls, then {@code reps} timed ones. Outputs are allocated once and reused, as a caller in a
 * training loop would. With a {@link HostCopy}, each timed call is paired with a copy of its N·K
 * logits into the output, timed just before it: the machine's own bandwidth measured in the same
 * run, and per pair the call's fraction of it (on a shared machine whose bandwidth drifts by
 * 1.5× within minutes, the ratio of a pair is steadier than either time).
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
     * @param engine  the engine to time (on OpenCL, kernel-only times come from its profiling events)
     * @param threads CPU threads (reported for the CPU backend)
     * @param copy    the copy to pair with each timed call, or null for none
     */
    static BenchResult run(Engine engine, int threads, HostCopy copy, Op op,
                           NonFinitePolicy nonFinite, int rows, int classes, int warmup, int reps, long seed, Progress progress) {
        SyntheticBatch batch = SyntheticBatch.of(rows, classes, seed);
        FloatMatrix x = FloatMatrix.of(batch.logits(), rows, classes);
        float[] outArray = new float[batch.logits().length];
        FloatMatrix out = FloatMatrix.of(outArray, rows, classes);
        Targets t = Targets.hard(batch.targets());
        XentOptions xo = XentOptions.builder().nonFinite(nonFinite).build();
        SoftmaxOptions so = SoftmaxOptions.DEFAULTS.withNonFinite(nonFinite);
        Runnable call = op == Op.XENT
                ? () -> engine.crossEntropyWithGradient(x, t, xo, out)
                : () -> engine.softmax(x, out, so);
        String backend = engine.backendKind().name().toLowerCase(Locale.ROOT);
        String label = String.format(Locale.ROOT, "bench %s %dx%d on %s", op.label(), rows, classes, backend);
        for (int i = 0; i < warmup; i++) {
            progress.update(label + ": warm-up " + (i + 1) + "/" + warmup);
            call.run();
        }
        long[] wall = new long[reps];
        long[] kernel = engine.backendKind() == BackendKind.OPENCL ? new long[reps] : null;
        long[] copied = copy != null ? new long[reps] : null;
        for (int i = 0; i < reps; i++) {
            progress.update(label + ": call " + (i + 1) + "/" + reps);
            if (copied != null) {
                long c0 = System.nanoTime();
                copy.copy(batch.logits(), outArray, outArray.length);
                copied[i] = System.nanoTime() - c0;
            }
            long t0 = System.nanoTime();
            call.run();
            wall[i] = System.nanoTime() - t0;
            if (kernel != null) {
                kernel[i] = engine.lastKernelNanos();
            }
        }
        String after = engine.backendKind().name().toLowerCase(Locale.ROOT);
        if (!after.equals(backend)) {   // an auto engine falls back to the CPU when a call fails on OpenCL
            throw new IllegalStateException("bench: the engine moved from " + backend + " to " + after
                    + " while it was being timed, so the timings mix both (" + engine.report().reason() + ")");
        }
        return new BenchResult(backend, engine.report().device(), op.label(),
                nonFinite.name().toLowerCase(Locale.ROOT), rows, classes, warmup, reps, threads,
                Timing.of(wall), kernel != null ? Timing.of(kernel) : null,
                copied != null ? CopyPairs.of(copied, wall, copy.threads()) : null);
    }
}
