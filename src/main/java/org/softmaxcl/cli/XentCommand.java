package org.softmaxcl.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.RowStats;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code xent}: the cross-entropy loss (and, with {@code --grad-out}, its gradient) of logits
 * read from a {@code .npy} file, through {@link Engine#crossEntropy} or {@link
 * Engine#crossEntropyWithGradient} exactly as a library caller would (the same bits). Prints one
 * JSON object on stdout.
 */
@Command(name = "xent", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cross-entropy loss of float32 logits (and its gradient with --grad-out).",
                "Prints one JSON object: loss, backend, device, rows, classes, targets, reduction, counted_rows, "
                        + "denominator, elapsed_ms (+ accuracy, mean_entropy with --stats)."})
final class XentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--logits", required = true, paramLabel = "L.npy", description = "float32 logits, shape (N, K), C order")
    Path logits;

    @Option(names = "--targets", required = true, paramLabel = "T.npy",
            description = "int32/int64 class indices (N,), or float32 distributions (N, K)")
    Path targets;

    @Option(names = "--weights", paramLabel = "W.npy", description = "float32 class weights (K,), each >= 0")
    Path weights;

    @Option(names = "--reduction", paramLabel = "mean|sum|none", defaultValue = "mean",
            description = "how row losses combine (default: ${DEFAULT-VALUE})")
    Reduction reduction;

    @Option(names = "--label-smoothing", paramLabel = "E", defaultValue = "0", description = "label smoothing in [0, 1]")
    float labelSmoothing;

    @Option(names = "--ignore-index", paramLabel = "I", defaultValue = "-100",
            description = "hard-target value whose rows are ignored (default: ${DEFAULT-VALUE})")
    int ignoreIndex;

    @Option(names = "--temperature", paramLabel = "T", description = "logits are divided by T > 0 (default 1)")
    Float temperature;

    @Option(names = "--row-temperatures", paramLabel = "R.npy", description = "float32 (N,): one temperature per row")
    Path rowTemperatures;

    @Option(names = "--z-loss", paramLabel = "Z", defaultValue = "0", description = "z-loss coefficient: + Z·lse² per counted row")
    float zLoss;

    @Option(names = "--softcap", paramLabel = "C", description = "logit soft-cap C > 0: z = C·tanh(x/(T·C))")
    Float softcap;

    @Option(names = "--sample-weights", paramLabel = "S.npy", description = "float32 (N,): per-row sample weights, each >= 0")
    Path sampleWeights;

    @Option(names = "--grad-scale", paramLabel = "G", description = "upstream gradient scale folded into the gradient (default 1)")
    Float gradScale;

    @Option(names = "--row-grad-scales", paramLabel = "G.npy", description = "float32 (N,): one upstream gradient scale per row")
    Path rowGradScales;

    @Option(names = "--empty-mean", paramLabel = "zero|nan|throw", defaultValue = "zero",
            description = "mean over zero counted rows gives 0 (default), NaN (PyTorch), or an error")
    EmptyMeanPolicy emptyMean;

    @Option(names = "--non-finite", paramLabel = "refuse|propagate", defaultValue = "refuse",
            description = "NaN/+inf logits: refused (exit 2, default) or propagated as NaN (PyTorch)")
    NonFinitePolicy nonFinite;

    @Option(names = "--stats", description = "add accuracy and mean entropy over counted rows to the JSON")
    boolean stats;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Backends.Converter.class,
            description = "backend (default: the library's choice, see softmaxcl.backend / SOFTMAXCL_BACKEND)")
    BackendChoice backend;

    @Option(names = "--grad-out", paramLabel = "G.npy", description = "write the gradient dL/dlogits, float32 (N, K)")
    Path gradOut;

    @Option(names = "--loss-out", paramLabel = "R.npy", description = "write the per-row losses, float32 (N,)")
    Path lossOut;

    @Override
    public Integer call() {
        new Outputs().check("--grad-out", gradOut).check("--loss-out", lossOut);
        FloatMatrix x = Inputs.matrix("--logits", logits);
        int n = x.rows();
        int k = x.cols();
        Targets t = Inputs.targets("--targets", targets, n, k);
        XentOptions opts = options(n, k);
        float[] grad = gradOut != null ? new float[Math.toIntExact(x.size())] : null;

        XentResult r;
        long t0;
        long t1;
        String backendName;
        String device;
        try (Engine engine = Backends.engine(backend)) {
            t0 = System.nanoTime();
            r = grad != null
                    ? engine.crossEntropyWithGradient(x, t, opts, FloatMatrix.of(grad, n, k))
                    : engine.crossEntropy(x, t, opts);
            t1 = System.nanoTime();
            // Read after the call: an automatic engine moves to the CPU when its device fails.
            backendName = engine.backendKind().name().toLowerCase(java.util.Locale.ROOT);
            device = engine.report().device();
        }

        Json json = Json.object()
                .put("loss", r.loss())
                .put("backend", backendName)
                .put("device", device)
                .put("rows", n)
                .put("classes", k)
                .put("targets", t.isHard() ? "hard" : "soft")
                .put("reduction", reduction.name().toLowerCase(java.util.Locale.ROOT))
                .put("counted_rows", r.countedRows())
                .put("denominator", r.denominator())
                .put("elapsed_ms", (t1 - t0) / 1e6);
        if (stats) {
            RowStats s = r.stats();
            json.put("accuracy", s.accuracy(r.countedRows()));
            json.put("mean_entropy", meanEntropy(s, t, opts));
        }
        if (gradOut != null) {
            json.put("grad_out", gradOut.toString());
        }
        if (lossOut != null) {
            json.put("loss_out", lossOut.toString());
        }
        // Everything is computed: only now are files written.
        if (gradOut != null) {
            Outputs.writeFloat32("--grad-out", gradOut, grad, n, k);
        }
        if (lossOut != null) {
            Outputs.writeFloat32("--loss-out", lossOut, r.rowLosses(), n);
        }
        spec.commandLine().getOut().println(json);
        return ExitCodes.OK;
    }

    /** The options, each bad value reported with its command-line name. */
    XentOptions options(int n, int k) {
        XentOptions.Builder b = XentOptions.builder().reduction(reduction).ignoreIndex(ignoreIndex)
                .emptyMean(emptyMean).nonFinite(nonFinite)
                .rowStats(stats || (lossOut != null && reduction != Reduction.NONE));
        Options.set("--label-smoothing", () -> b.labelSmoothing(labelSmoothing));
        Options.set("--z-loss", () -> b.zLoss(zLoss));
        if (temperature != null && rowTemperatures != null) {
            throw new UsageException("--temperature and --row-temperatures exclude each other");
        }
        if (gradScale != null && rowGradScales != null) {
            throw new UsageException("--grad-scale and --row-grad-scales exclude each other");
        }
        if (temperature != null) {
            Options.set("--temperature", () -> b.temperature(temperature));
        }
        if (softcap != null) {
            Options.set("--softcap", () -> b.softcap(softcap));
        }
        if (gradScale != null) {
            Options.set("--grad-scale", () -> b.gradScale(gradScale));
        }
        if (weights != null) {
            float[] w = Inputs.vector("--weights", weights, k, "one weight per class, K = " + k);
            Options.set("--weights", () -> b.classWeights(w));
        }
        if (rowTemperatures != null) {
            float[] v = Inputs.vector("--row-temperatures", rowTemperatures, n, "one per row, N = " + n);
            Options.set("--row-temperatures", () -> b.rowTemperatures(v));
        }
        if (sampleWeights != null) {
            float[] v = Inputs.vector("--sample-weights", sampleWeights, n, "one per row, N = " + n);
            Options.set("--sample-weights", () -> b.sampleWeights(v));
        }
        if (rowGradScales != null) {
            float[] v = Inputs.vector("--row-grad-scales", rowGradScales, n, "one per row, N = " + n);
            Options.set("--row-grad-scales", () -> b.rowGradScales(v));
        }
        return b.build();
    }

    private static double meanEntropy(RowStats s, Targets t, XentOptions o) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < s.rows(); i++) {
            if (!t.isHard() || t.classes()[i] != o.ignoreIndex()) {
                sum += s.entropy()[i];
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }
}
