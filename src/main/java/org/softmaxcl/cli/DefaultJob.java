package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.util.Locale;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.BackendReport;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

/**
 * The main job, run when the command line gets no subcommand: the fused cross-entropy pass (loss
 * and gradient, PyTorch's defaults) on an embedded, seeded language-model-head batch
 * ({@link SyntheticBatch}, 1024 × 32000 by default), on the engine {@link Engine#auto()} picks.
 * Prints the loss, the backend, the device, the reason for the choice and the throughput (median
 * of a few timed calls after warm-up).
 */
final class DefaultJob {
    /** The embedded batch: a 32k-vocabulary head over 1024 tokens (about 2 s on 2 cores). */
    static final int ROWS = 1024;
    static final int CLASSES = 32000;
    static final long SEED = 42;

    private DefaultJob() {
    }

    static int run(PrintWriter out, PrintWriter err, BackendChoice choice, int rows, int classes, long seed, int warmup,
                   int reps, boolean json) {
        if (rows < 1 || classes < 1) {
            throw new UsageException("--rows and --classes must be >= 1, got " + rows + " and " + classes);
        }
        if (reps < 1 || warmup < 0) {
            throw new UsageException("--reps must be >= 1 and --warmup >= 0, got " + reps + " and " + warmup);
        }
        SyntheticBatch batch = SyntheticBatch.of(rows, classes, seed);
        FloatMatrix x = FloatMatrix.of(batch.logits(), rows, classes);
        FloatMatrix grad = FloatMatrix.of(new float[batch.logits().length], rows, classes);
        Targets t = Targets.hard(batch.targets());
        Progress progress = new Progress(err);
        BackendReport report;
        XentResult result = null;
        long[] ns = new long[reps];
        try (Engine engine = Backends.engine(choice)) {
            for (int i = 0; i < warmup; i++) {
                progress.update("warm-up " + (i + 1) + "/" + warmup);
                result = engine.crossEntropyWithGradient(x, t, XentOptions.DEFAULTS, grad);
            }
            for (int i = 0; i < reps; i++) {
                progress.update("timed call " + (i + 1) + "/" + reps);
                long t0 = System.nanoTime();
                result = engine.crossEntropyWithGradient(x, t, XentOptions.DEFAULTS, grad);
                ns[i] = System.nanoTime() - t0;
            }
            // Read after the calls: an automatic engine moves to the CPU when its device fails.
            report = engine.report();
        }
        Timing timing = Timing.of(ns);
        double elements = (double) rows * classes;
        double gelem = elements / timing.medianNs();
        String backend = report.kind().name().toLowerCase(Locale.ROOT);
        if (json) {
            out.println(Json.object().put("loss", result.loss()).put("backend", backend).put("device", report.device())
                    .put("reason", report.reason()).put("rows", rows).put("classes", classes).put("seed", seed)
                    .put("median_ms", timing.medianMs()).put("gelem_per_s", gelem)
                    .put("gb_per_s", elements * BenchResult.BYTES_PER_ELEMENT / timing.medianNs()));
            return ExitCodes.OK;
        }
        out.printf(Locale.ROOT, "softmax-cl: cross-entropy loss and gradient of an embedded batch of %d x %d float32 logits "
                + "(seed %d, PyTorch defaults: mean, hard targets)%n", rows, classes, seed);
        out.printf(Locale.ROOT, "loss        %.6f%n", result.loss());
        out.printf(Locale.ROOT, "backend     %s%n", backend);
        out.printf(Locale.ROOT, "device      %s%n", report.device());
        out.printf(Locale.ROOT, "reason      %s%n", report.reason());
        out.printf(Locale.ROOT, "throughput  %.3f Gelem/s, %.2f GB/s at %d B/element (median %.1f ms of %d calls after %d warm-up, "
                        + "end to end)%n", gelem, elements * BenchResult.BYTES_PER_ELEMENT / timing.medianNs(),
                BenchResult.BYTES_PER_ELEMENT, timing.medianMs(), reps, warmup);
        return ExitCodes.OK;
    }
}
