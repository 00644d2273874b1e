package org.softmaxcl.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * A CPU call timed in batches, each batch right after a fixed scalar compute probe on every one
 * of T threads at once: the probe's time is the host's state at that moment. On a shared VM a
 * vCPU whose hyperthread sibling runs another tenant's work computes up to about 1.9× slower (a
 * pure scalar loop measured 0.18 ms in one JVM and 0.34 ms in the next, and stepped between the
 * two within a run), which moves compute-bound kernels the same way and copies much less. Prints
 * one line per batch (each thread's probe, the call's median of 7) and a summary: the median over
 * all batches, and over the quiet ones, whose probes all lie within 1.15× of the run's fastest.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.softmaxcl.bench.HostProbe \
 *     xent 262144 10 2 40 PROPAGATE      # op N K threads batches non-finite-policy
 * </pre>
 */
public final class HostProbe {
    private static final int CALLS = 7;
    private static final float[] PROBE_DATA = new float[4096];
    private static volatile float sink;

    private HostProbe() {
    }

    /** The fastest of five runs of a fixed scalar multiply-add loop over 16 KiB (in L1), in ns. */
    static long probe() {
        float s = 0;
        long best = Long.MAX_VALUE;
        for (int c = 0; c < 5; c++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < 60; rep++) {
                for (int i = 0; i < PROBE_DATA.length; i++) {
                    s += PROBE_DATA[i] * PROBE_DATA[(i * 7) & 4095];
                }
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        sink = s;
        return best;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: HostProbe xent|softmax N K THREADS BATCHES REFUSE|PROPAGATE");
            System.exit(2);
        }
        String op = args[0];
        Batch batch = new Batch(args[1] + "x" + args[2], 42);
        long elements = (long) batch.rows * batch.cols;
        int threads = Integer.parseInt(args[3]);
        int batches = Integer.parseInt(args[4]);
        NonFinitePolicy policy = NonFinitePolicy.valueOf(args[5]);
        for (int i = 0; i < PROBE_DATA.length; i++) {
            PROBE_DATA[i] = i * 1e-4f;
        }
        FloatMatrix xm = batch.x();
        FloatMatrix om = batch.y();
        Targets targets = Targets.hard(batch.targets);
        XentOptions xo = XentOptions.builder().nonFinite(policy).build();
        SoftmaxOptions so = SoftmaxOptions.DEFAULTS.withNonFinite(policy);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Engine e = Batch.engine("cpu-vector", threads)) {
            Runnable call = op.equals("xent") ? () -> e.crossEntropyWithGradient(xm, targets, xo, om)
                    : () -> e.softmax(xm, om, so);
            for (long w0 = System.nanoTime(); System.nanoTime() - w0 < 4_000_000_000L; ) {   // JIT warm-up
                call.run();
                probe();
            }
            long[][] probes = new long[batches][threads];
            double[] ms = new double[batches];
            for (int b = 0; b < batches; b++) {
                List<Future<Long>> fs = new ArrayList<>();
                for (int th = 0; th < threads; th++) {
                    fs.add(pool.submit(HostProbe::probe));
                }
                for (int th = 0; th < threads; th++) {
                    probes[b][th] = fs.get(th).get();
                }
                long[] times = new long[CALLS];
                for (int c = 0; c < CALLS; c++) {
                    long t0 = System.nanoTime();
                    call.run();
                    times[c] = System.nanoTime() - t0;
                }
                Arrays.sort(times);
                ms[b] = times[CALLS / 2] / 1e6;
                System.out.printf(Locale.ROOT, "batch %2d probes %s ms  call %.3f ms  %.3f Gelem/s%n", b,
                        Arrays.toString(Arrays.stream(probes[b]).mapToObj(p -> String.format(Locale.ROOT, "%.3f", p / 1e6)).toArray()),
                        ms[b], (double) elements / ms[b] / 1e6);
            }
            long fastest = Arrays.stream(probes).flatMapToLong(Arrays::stream).min().orElseThrow();
            List<Double> all = new ArrayList<>();
            List<Double> quiet = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                all.add(ms[b]);
                if (Arrays.stream(probes[b]).allMatch(p -> p <= fastest * 1.15)) {
                    quiet.add(ms[b]);
                }
            }
            double mAll = median(all);
            double mQuiet = median(quiet);
            System.out.printf(Locale.ROOT, "%s %dx%d %s, %d threads: all %d batches median %.3f ms (%.3f Gelem/s); "
                            + "quiet (probes within 1.15x of the fastest, %.3f ms) %d batches median %.3f ms (%.3f Gelem/s)%n",
                    op, batch.rows, batch.cols, policy, threads, batches, mAll, (double) elements / mAll / 1e6, fastest / 1e6, quiet.size(), mQuiet,
                    (double) elements / mQuiet / 1e6);
        } finally {
            pool.shutdown();
        }
    }
}
