package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gradcheck}: for every option set of {@link GradcheckCases}, the engine's fused float32
 * gradient on a seeded random batch against float64 finite differences of the reference loss
 * ({@link Gradcheck}); prints the worst error per set and exits 1 when one is above the
 * tolerance (default {@value #DEFAULT_TOLERANCE}: float32 arithmetic gives about 1e-6 here, a
 * wrong term in a gradient formula gives 1e-2 and more).
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Check the fused gradient against float64 central finite differences of the reference loss,",
                "for every option set (--list names them). err = |g - fd| / max(|fd|, floor), floor = 1e-6 * max|fd|",
                "plus the differences' own rounding noise. Exit 1 when an option set's worst err exceeds --tolerance."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:every option set within the tolerance", "1:an option set above the tolerance (or another failure)",
                "2:bad usage"})
final class GradcheckCommand implements Callable<Integer> {
    static final double DEFAULT_TOLERANCE = 1e-3;

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "8", description = "rows (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--classes", paramLabel = "K", defaultValue = "32", description = "classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of the batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--option", paramLabel = "NAME", split = ",",
            description = "only these option sets (repeat or comma-separate; see --list)")
    List<String> options = new ArrayList<>();

    @Option(names = "--list", description = "list the option sets and exit")
    boolean list;

    @Option(names = "--samples", paramLabel = "M", defaultValue = "1024",
            description = "elements checked per set: all when N*K <= M, else M (every hard target among them); default ${DEFAULT-VALUE}")
    int samples;

    @Option(names = "--tolerance", paramLabel = "TOL", defaultValue = "" + DEFAULT_TOLERANCE,
            description = "largest accepted error (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Backends.Converter.class,
            description = "backend (default: the library's choice)")
    BackendChoice backend;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (list) {
            GradcheckCases.NAMES.forEach((name, what) -> out.printf(Locale.ROOT, "%-24s %s%n", name, what));
            return ExitCodes.OK;
        }
        for (String o : options) {
            if (!GradcheckCases.NAMES.containsKey(o)) {
                throw new UsageException("--option: unknown option set '" + o + "'; one of " + GradcheckCases.NAMES.keySet());
            }
        }
        if (rows < 1 || classes < 1) {
            throw new UsageException("--rows and --classes must be >= 1, got " + rows + " and " + classes);
        }
        if ((long) rows * classes > 1 << 20) {
            throw new UsageException("--rows x --classes = " + (long) rows * classes
                    + ": at most 1048576 elements (the reference loss is evaluated 4 times per checked element)");
        }
        if (samples < 1) {
            throw new UsageException("--samples must be >= 1, got " + samples);
        }
        if (!(tolerance > 0)) {
            throw new UsageException("--tolerance must be > 0, got " + tolerance);
        }
        GradcheckCases data = new GradcheckCases(rows, classes, seed);
        List<GradcheckCases.Case> cases = data.cases(options);
        Progress progress = new Progress(spec.commandLine().getErr());
        List<Gradcheck.Outcome> outcomes = new ArrayList<>();
        String backendName;
        String device;
        try (Engine engine = Backends.engine(backend)) {
            for (GradcheckCases.Case c : cases) {
                progress.update("gradcheck: " + c.name());
                outcomes.add(Gradcheck.run(engine, data, c, samples, seed));
            }
            backendName = engine.backendKind().name().toLowerCase(Locale.ROOT);
            device = engine.report().device();
        }
        boolean ok = outcomes.stream().allMatch(o -> o.worst() <= tolerance);
        if (json) {
            List<Object> sets = new ArrayList<>();
            for (Gradcheck.Outcome o : outcomes) {
                sets.add(Json.object().put("name", o.name()).put("worst_rel_err", o.worst()).put("row", o.row())
                        .put("col", o.col()).put("oracle_rel_err", o.oracleWorst()).put("loss_rel_err", o.lossRelError())
                        .put("checked", o.checked()).put("ok", o.worst() <= tolerance));
            }
            out.println(Json.object().put("backend", backendName).put("device", device).put("rows", rows)
                    .put("classes", classes).put("seed", seed).put("tolerance", tolerance).put("sets", sets).put("ok", ok));
        } else {
            out.printf(Locale.ROOT, "gradcheck: %d x %d, seed %d, on %s (%s)%n", rows, classes, seed, backendName, device);
            out.printf(Locale.ROOT, "engine float32 gradient vs float64 5-point differences of Reference64's loss, "
                    + "h = %.0e*max(1,|x|), tolerance %.1e%n", Gradcheck.H, tolerance);
            out.printf(Locale.ROOT, "%-24s %12s %12s %14s %14s %8s  %s%n", "option set", "worst err", "at (row,col)",
                    "oracle err", "loss rel err", "checked", "verdict");
            for (Gradcheck.Outcome o : outcomes) {
                out.printf(Locale.ROOT, "%-24s %12.3e %12s %14.3e %14.3e %8d  %s%n", o.name(), o.worst(),
                        "(" + o.row() + "," + o.col() + ")", o.oracleWorst(), o.lossRelError(), o.checked(),
                        o.worst() <= tolerance ? "ok" : "FAIL");
            }
            long failed = outcomes.stream().filter(o -> !(o.worst() <= tolerance)).count();
            out.println(failed == 0 ? "all " + outcomes.size() + " option sets within the tolerance"
                    : failed + " of " + outcomes.size() + " option sets above the tolerance");
        }
        return ok ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
