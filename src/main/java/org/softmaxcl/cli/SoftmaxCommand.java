package org.softmaxcl.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code softmax}: row-wise softmax (or log-softmax with {@code --log}) of a float32 {@code .npy}
 * matrix into another, through {@link Engine#softmax} / {@link Engine#logSoftmax}. Prints one JSON
 * object on stdout (op, backend, device, rows, classes, elapsed_ms, out).
 */
@Command(name = "softmax", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Row-wise softmax (or log-softmax) of float32 logits (N, K) into a float32 .npy of the same shape.")
final class SoftmaxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "X.npy", description = "float32 logits (N, K), C order")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "P.npy", description = "where the probabilities go")
    Path out;

    @Option(names = "--log", description = "log-softmax instead of softmax")
    boolean log;

    @Option(names = "--temperature", paramLabel = "T", description = "logits are divided by T > 0 (default 1)")
    Float temperature;

    @Option(names = "--row-temperatures", paramLabel = "R.npy", description = "float32 (N,): one temperature per row")
    Path rowTemperatures;

    @Option(names = "--non-finite", paramLabel = "refuse|propagate", defaultValue = "refuse",
            description = "NaN/+inf logits: refused (exit 2, default) or propagated (PyTorch)")
    NonFinitePolicy nonFinite;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Backends.Converter.class,
            description = "backend (default: the library's choice)")
    BackendChoice backend;

    @Override
    public Integer call() {
        new Outputs().check("--out", out);
        FloatMatrix x = Inputs.matrix("--in", in);
        int n = x.rows();
        int k = x.cols();
        SoftmaxOptions opts = options(n);
        float[] result = new float[Math.toIntExact(x.size())];
        FloatMatrix y = FloatMatrix.of(result, n, k);
        String backendName;
        String device;
        long t0;
        long t1;
        try (Engine engine = Backends.engine(backend)) {
            t0 = System.nanoTime();
            if (log) {
                engine.logSoftmax(x, y, opts);
            } else {
                engine.softmax(x, y, opts);
            }
            t1 = System.nanoTime();
            // Read after the call: an automatic engine moves to the CPU when its device fails.
            backendName = engine.backendKind().name().toLowerCase(Locale.ROOT);
            device = engine.report().device();
        }
        Outputs.writeFloat32("--out", out, result, n, k);
        spec.commandLine().getOut().println(Json.object()
                .put("op", log ? "log_softmax" : "softmax")
                .put("backend", backendName)
                .put("device", device)
                .put("rows", n)
                .put("classes", k)
                .put("elapsed_ms", (t1 - t0) / 1e6)
                .put("out", out.toString()));
        return ExitCodes.OK;
    }

    private SoftmaxOptions options(int n) {
        if (temperature != null && rowTemperatures != null) {
            throw new UsageException("--temperature and --row-temperatures exclude each other");
        }
        SoftmaxOptions[] o = {SoftmaxOptions.DEFAULTS.withNonFinite(nonFinite)};
        if (temperature != null) {
            Options.set("--temperature", () -> o[0] = o[0].withTemperature(temperature));
        }
        if (rowTemperatures != null) {
            float[] v = Inputs.vector("--row-temperatures", rowTemperatures, n, "one per row, N = " + n);
            Options.set("--row-temperatures", () -> o[0] = o[0].withRowTemperatures(v));
        }
        return o[0];
    }
}
