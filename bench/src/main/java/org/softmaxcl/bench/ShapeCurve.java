package org.softmaxcl.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.cpu.CpuBackend;

/**
 * Several shapes of the fused cross-entropy (CPU backend, PROPAGATE) side by side in one JVM:
 * rounds that run a block of calls on each shape in turn, then each shape's 10th percentile and
 * median, per row and in Gelem/s. On a host whose speed drifts within minutes, shapes compared
 * in one run are comparable where runs in separate JVMs are not.
 *
 * <p>A shape is {@code NxK} or {@code NxK@OFF}: the matrices then start OFF floats into their
 * arrays, which are at least 2^22 floats long so that G1 places them at the start of a heap
 * region (arrays of more than half a region). Their data then starts 16 bytes past a 64-byte
 * line, so OFF = 12 puts every row of a K that is a multiple of 16 on whole cache lines, and
 * OFF = 0 splits every 64-byte vector over two lines.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.softmaxcl.bench.ShapeCurve \
 *     2 16384x1008@0,16384x1008@12 10 30      # threads shapes rounds calls-per-block
 * </pre>
 */
public final class ShapeCurve {
    private ShapeCurve() {
    }

    public static void main(String[] a) {
        if (a.length != 4) {
            System.err.println("usage: ShapeCurve THREADS NxK[@OFF],... ROUNDS CALLS");
            System.exit(2);
        }
        int threads = Integer.parseInt(a[0]);
        String[] shapes = a[1].split(",");
        int rounds = Integer.parseInt(a[2]);
        int calls = Integer.parseInt(a[3]);
        int[] n = new int[shapes.length];
        int[] k = new int[shapes.length];
        int[] off = new int[shapes.length];
        Runnable[] run = new Runnable[shapes.length];
        XentOptions options = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).build();
        try (Engine engine = Engine.over(new CpuBackend(threads, "ShapeCurve"))) {
            for (int s = 0; s < shapes.length; s++) {
                String[] parts = shapes[s].split("@");
                String[] nk = parts[0].split("x");
                n[s] = Integer.parseInt(nk[0]);
                k[s] = Integer.parseInt(nk[1]);
                off[s] = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
                run[s] = call(engine, options, n[s], k[s], off[s]);
            }
            long warmUntil = System.nanoTime() + 4_000_000_000L;
            while (System.nanoTime() < warmUntil) {
                for (Runnable r : run) {
                    r.run();
                }
            }
            long[][] ns = new long[shapes.length][rounds * calls];
            for (int rd = 0; rd < rounds; rd++) {
                for (int s = 0; s < shapes.length; s++) {
                    for (int c = 0; c < calls; c++) {
                        long t0 = System.nanoTime();
                        run[s].run();
                        ns[s][rd * calls + c] = System.nanoTime() - t0;
                    }
                }
            }
            for (int s = 0; s < shapes.length; s++) {
                long[] sorted = ns[s].clone();
                Arrays.sort(sorted);
                double p10 = sorted[sorted.length / 10];
                double med = sorted[sorted.length / 2];
                double elems = (double) n[s] * k[s];
                System.out.printf(Locale.ROOT, "%-16s p10 %10.1f ns/row %6.3f Gelem/s   median %10.1f ns/row %6.3f Gelem/s%n",
                        shapes[s], p10 / n[s], elems / p10, med / n[s], elems / med);
            }
        }
    }

    private static Runnable call(Engine engine, XentOptions options, int n, int k, int off) {
        SplittableRandom rnd = new SplittableRandom(42);
        int length = Math.max(n * k + off, 1 << 22);
        float[] x = new float[length];
        for (int i = off; i < off + n * k; i++) {
            x[i] = (float) (rnd.nextGaussian() * 3);
        }
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(k);
        }
        FloatMatrix xm = FloatMatrix.of(x, off, n, k, k);
        FloatMatrix out = FloatMatrix.of(new float[length], off, n, k, k);
        Targets targets = Targets.hard(t);
        return () -> engine.crossEntropyWithGradient(xm, targets, options, out);
    }
}
