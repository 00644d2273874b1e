package org.softmaxcl.cli;

import java.util.Locale;

/**
 * One benchmark measurement: end-to-end wall time of {@code reps} calls after {@code warmup}
 * untimed ones (transfers included on OpenCL), and for OpenCL the kernel-only device time from
 * profiling events.
 *
 * <p>Throughput: Gelem/s = N·K / median; model bandwidth GB/s = N·K·{@value #BYTES_PER_ELEMENT} /
 * median (the fused cross-entropy pass reads the logits and writes the gradient, softmax reads
 * the input and writes the output: 8 bytes per element either way).
 *
 * <p>With {@code copy}, every timed call was paired with a host copy of its N·K floats
 * ({@link BenchRunner}): the copy's GB/s at the median and the median of the pairs' fractions.
 *
 * @param kernel kernel-only timing, or null when the backend has none (CPU)
 * @param copy   the paired host copies, or null when not measured ({@code --no-copy})
 */
record BenchResult(String backend, String device, String op, String nonFinite, int rows, int classes, int warmup, int reps,
                   int threads, Timing timing, Timing kernel, CopyPairs copy) {

    /** Bytes moved per element by one call (see the class comment). */
    static final int BYTES_PER_ELEMENT = 8;

    long elements() {
        return (long) rows * classes;
    }

    /** Elements per second / 1e9 at the median time. */
    double gelemPerS() {
        return elements() / timing.medianNs();
    }

    /** Bytes per second / 1e9 at the median time. */
    double gbPerS() {
        return elements() * (double) BYTES_PER_ELEMENT / timing.medianNs();
    }

    /** The paired host copy's bytes per second / 1e9 at its median time (8 bytes per element). */
    double copyGbPerS() {
        return elements() * (double) BYTES_PER_ELEMENT / copy.timing().medianNs();
    }

    /** The JSON object of the command-line contract. */
    Json json() {
        Json j = Json.object()
                .put("backend", backend)
                .put("device", device)
                .put("rows", rows)
                .put("classes", classes)
                .put("op", op)
                .put("non_finite", nonFinite)
                .put("median_ms", timing.medianMs())
                .put("gelem_per_s", gelemPerS())
                .put("min_ms", timing.minMs())
                .put("max_ms", timing.maxMs())
                .put("gb_per_s", gbPerS())
                .put("reps", reps)
                .put("warmup", warmup);
        if (kernel != null) {
            j.put("kernel_ms", kernel.medianMs());
            j.put("kernel_gelem_per_s", elements() / kernel.medianNs());
        }
        if ("cpu".equals(backend)) {
            j.put("threads", threads);
        }
        if (copy != null) {
            j.put("copy_gb_per_s", copyGbPerS());
            j.put("copy_threads", copy.threads());
            j.put("of_copy", copy.ofCopy());
        }
        return j;
    }

    /** A human-readable summary on a few lines. */
    String text() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s %d x %d on %s (%s), non-finite logits: %s%n", op, rows, classes, backend,
                device, nonFinite));
        s.append(String.format(Locale.ROOT, "  median %.3f ms  min %.3f ms  max %.3f ms  (%d calls after %d warm-up)%n",
                timing.medianMs(), timing.minMs(), timing.maxMs(), reps, warmup));
        s.append(String.format(Locale.ROOT, "  %.3f Gelem/s  %.2f GB/s at %d B/element (end to end)%n",
                gelemPerS(), gbPerS(), BYTES_PER_ELEMENT));
        if (kernel != null) {
            s.append(String.format(Locale.ROOT, "  kernel only: median %.3f ms = %.3f Gelem/s%n",
                    kernel.medianMs(), elements() / kernel.medianNs()));
        }
        if (copy != null) {
            s.append(String.format(Locale.ROOT, "  host copy paired with each call (%d thread%s): %.2f GB/s median;"
                            + " the call at %.2f of it (median of %d pairs)%n",
                    copy.threads(), copy.threads() == 1 ? "" : "s", copyGbPerS(), copy.ofCopy(), reps));
        }
        return s.toString();
    }

    static String csvHeader() {
        return "backend,device,op,rows,classes,median_ms,min_ms,max_ms,gelem_per_s,gb_per_s,kernel_ms,kernel_gelem_per_s,"
                + "copy_gb_per_s,of_copy";
    }

    String csvRow() {
        String dev = '"' + device.replace("\"", "\"\"") + '"';
        return String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%s,%s,%s", backend, dev, op, rows,
                classes, timing.medianMs(), timing.minMs(), timing.maxMs(), gelemPerS(), gbPerS(),
                kernel == null ? "" : String.format(Locale.ROOT, "%.6f", kernel.medianMs()),
                kernel == null ? "" : String.format(Locale.ROOT, "%.6f", elements() / kernel.medianNs()),
                copy == null ? "" : String.format(Locale.ROOT, "%.6f", copyGbPerS()),
                copy == null ? "" : String.format(Locale.ROOT, "%.6f", copy.ofCopy()));
    }
}
