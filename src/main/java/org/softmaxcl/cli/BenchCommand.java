package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.cpu.HostCopy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: times the fused cross-entropy pass (or softmax) on a seeded N×K batch — warm-up,
 * then median, min and max of R calls, Gelem/s and GB/s, and for OpenCL the kernel-only time — or,
 * with {@code --sweep}, a grid of shapes on every backend written as a CSV table and a PNG chart.
 * Timings are end to end (host↔device transfers included). Unless {@code --no-copy}, each timed
 * call is paired with a {@link HostCopy} of its N·K floats: the machine's bandwidth measured in
 * the same run, and the call's fraction of it.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time xent (loss + gradient, hard targets) or softmax on a seeded N x K batch.",
                "Gelem/s = N*K / median; GB/s counts 8 bytes per element (one read of the logits, one write of the result).",
                "Each timed call is paired with a host copy of the same N*K floats, timed just before it: the copy's GB/s"
                        + " and the call's fraction of it (median of the pairs)."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rows", paramLabel = "N", description = "rows (required unless --sweep)")
    Integer rows;

    @Option(names = "--classes", paramLabel = "K", description = "classes (required unless --sweep)")
    Integer classes;

    @Option(names = "--op", paramLabel = "xent|softmax", defaultValue = "xent",
            description = "operation (default: ${DEFAULT-VALUE})")
    BenchRunner.Op op;

    @Option(names = "--non-finite", paramLabel = "refuse|propagate", defaultValue = "refuse",
            description = "refuse (default: a read-only check of the logits before the pass) or propagate (no check)")
    NonFinitePolicy nonFinite;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Backends.Converter.class,
            description = "backend (default: the library's choice, as Engine.auto() makes it: OpenCL only where it measured"
                    + " faster; --sweep: every available backend)")
    BackendChoice backend;

    @Option(names = "--reps", paramLabel = "R", description = "timed calls (default 10, --sweep --quick 2)")
    Integer reps;

    @Option(names = "--warmup", paramLabel = "W", description = "untimed calls first (default 3, --sweep --quick 1)")
    Integer warmup;

    @Option(names = "--threads", paramLabel = "T", description = "CPU backend threads (default: softmaxcl.threads, else all cores)")
    Integer threads;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of the batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-copy", description = "do not pair each timed call with a host copy of its N*K floats"
            + " (the copy's GB/s and the call's fraction of it: copy_gb_per_s, of_copy)")
    boolean noCopy;

    @Option(names = "--json", description = "print one JSON object (the command-line contract's keys)")
    boolean json;

    @Option(names = "--sweep", description = "run the grid K = 2 .. 262144 with N*K ~ 2^22 and write sweep.csv and sweep.png")
    boolean sweep;

    @Option(names = "--quick", description = "with --sweep: a tiny grid (3 shapes, ~4096 elements) for tests")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "with --sweep: output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        int r = reps != null ? reps : sweep && quick ? 2 : 10;
        int w = warmup != null ? warmup : sweep && quick ? 1 : 3;
        if (r < 1) {
            throw new UsageException("--reps must be >= 1, got " + r);
        }
        if (w < 0) {
            throw new UsageException("--warmup must be >= 0, got " + w);
        }
        int t = Backends.threads(threads);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = new Progress(err);
        if (sweep) {
            if (rows != null || classes != null) {
                throw new UsageException("--sweep chooses the shapes itself: drop --rows/--classes");
            }
            Outputs.checkFolder("--out", out);
            List<BenchResult> results;
            try (HostCopy copy = noCopy ? null : new HostCopy(t)) {
                results = Sweep.run(backend, t, copy, op, nonFinite, quick, w, r, seed, err, progress);
            }
            List<Path> files = Sweep.write(out, results, op);
            if (json) {
                List<Object> list = new ArrayList<>();
                results.forEach(x -> list.add(x.json()));
                stdout.println(Json.object().put("op", op.label()).put("results", list)
                        .put("csv", files.get(0).toString()).put("png", files.get(1).toString()));
            } else {
                stdout.println(BenchResult.csvHeader());
                results.forEach(x -> stdout.println(x.csvRow()));
                stdout.println("wrote " + files.get(0) + " and " + files.get(1));
            }
            return ExitCodes.OK;
        }
        if (quick) {
            throw new UsageException("--quick goes with --sweep");
        }
        if (rows == null || classes == null) {
            throw new UsageException("bench needs --rows N and --classes K (or --sweep)");
        }
        if (rows < 1) {
            throw new UsageException("--rows must be >= 1, got " + rows);
        }
        if (classes < 1) {
            throw new UsageException("--classes must be >= 1, got " + classes);
        }
        if ((long) rows * classes > Integer.MAX_VALUE - 8) {
            throw new UsageException("--rows " + rows + " x --classes " + classes + " = " + (long) rows * classes
                    + " elements, more than a Java array holds");
        }
        BenchResult res;
        try (Engine engine = Backends.engine(backend, t); HostCopy copy = noCopy ? null : new HostCopy(t)) {
            res = BenchRunner.run(engine, t, copy, op, nonFinite, rows, classes, w, r, seed, progress);
        }
        if (json) {
            stdout.println(res.json());
        } else {
            stdout.print(res.text());
        }
        return ExitCodes.OK;
    }
}
