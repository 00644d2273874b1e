package org.softmaxcl.cli;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendChoice;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code softmax-cl} command line ({@code java -jar target/softmax-cl.jar}). With no
 * subcommand it runs the main job ({@link DefaultJob}); the subcommands are {@code devices},
 * {@code xent}, {@code softmax}, {@code bench} and {@code gradcheck}. Exit statuses: see {@link
 * ExitCodes} (0 success, 1 failure, 2 bad usage or input).
 */
@Command(name = "softmax-cl", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = Main.Version.class,
        description = {"Row-wise softmax, cross-entropy and its gradient on OpenCL or the CPU.",
                "With no command: the fused cross-entropy pass on an embedded 1024 x 32000 batch, on the backend "
                        + "'auto' picks: loss, backend, device, reason, throughput."},
        subcommands = {DevicesCommand.class, XentCommand.class, SoftmaxCommand.class, BenchCommand.class,
                GradcheckCommand.class, TuneCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, OpenCL requested but unavailable, ...)",
                "2:bad usage or bad input (nothing written)"})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Backends.Converter.class,
            description = "backend (default: the library's choice, see softmaxcl.backend / SOFTMAXCL_BACKEND)")
    BackendChoice backend;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "" + DefaultJob.ROWS, description = "rows (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--classes", paramLabel = "K", defaultValue = "" + DefaultJob.CLASSES,
            description = "classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "" + DefaultJob.SEED, description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "1", description = "untimed calls (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--reps", paramLabel = "R", defaultValue = "3", description = "timed calls (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        return DefaultJob.run(spec.commandLine().getOut(), spec.commandLine().getErr(), backend, rows, classes, seed,
                warmup, reps, json);
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.exit(code);
    }

    /**
     * Runs the command line in this process, writing to {@code out} and {@code err}, and returns
     * the exit status (never calls {@link System#exit}).
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        try {
            CommandLine cl = commandLine(o, e);
            return cl.execute(args);
        } catch (Throwable t) {
            // Errors (out of memory, a missing class) escape picocli's handlers.
            e.println("softmax-cl: error: " + t);
            return ExitCodes.FAILURE;
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** The configured command line: streams, case-insensitive enum values, exit-status handlers. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        ExitCodes.install(cl);
        return cl;
    }

    /** The version from the jar's manifest (or "dev" when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"softmax-cl " + (v != null ? v : "dev") + " (Java " + Runtime.version() + ")"};
        }
    }
}
