package org.softmaxcl.bench;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Two or more builds of the library, side by side in one JVM: each jar in a class loader of its
 * own (so each has its own classes and its own JIT-compiled kernels), the same seeded batch, and
 * rounds that run a block of calls on each build in turn (the order reversed every other round).
 * Prints each build's median and, per build after the first, the median over rounds of its
 * block median over the first build's: on a shared machine whose speed drifts within minutes,
 * the ratio of blocks run seconds apart is steadier than two medians taken in separate JVMs.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.softmaxcl.bench.JarPair \
 *     xent 262144 10 2 12 10 old.jar new.jar      # op N K threads rounds calls-per-block jar...
 * </pre>
 * The operations (xent, softmax, logsoftmax, softmaxbackward, logsoftmaxbackward: the backward pass
 * of that output with the logits as the incoming gradient) run on the CPU backend with non-finite logits propagated ({@code -Dnf=REFUSE}
 * checks them); the cross-entropy's options are {@link XentBench}'s ({@code -Dopts=smooth}, soft,
 * stats, softcap, or softcapRowT: the soft-cap with a temperature per row; plain by default), its logits 3·N(0, 1), or with {@code -Dspikes=true}
 * {@link Batch}'s (2·N(0, 1), one in 64 raised by 20, as the JMH benchmarks have them); the jars are shaded library jars ({@code target/softmax-cl.jar} of each build).
 * A jar written {@code path.jar@name=value,name=value} has those system properties set just
 * before its build starts (and left set), so one build can be paired with itself under another
 * switch read when its kernels are chosen, e.g. {@code a.jar@softmaxcl.cpu.laneGather=false}.
 */
public final class JarPair {
    /** The logits' standard deviation (-Dscale, default 3): larger values reach the soft-cap's exponential form. */
    private static final double SCALE = Double.parseDouble(System.getProperty("scale", "3"));
    private JarPair() {
    }

    /** One build's call, made through reflection on that build's own classes. */
    private static Runnable call(Path jar, String op, int n, int k, int threads, String nonFinite, String options)
            throws Exception {
        ClassLoader cl = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> engineC = cl.loadClass("org.softmaxcl.Engine");
        Class<?> backendC = cl.loadClass("org.softmaxcl.backend.Backend");
        Class<?> cpuC = cl.loadClass("org.softmaxcl.cpu.CpuBackend");
        Class<?> matrixC = cl.loadClass("org.softmaxcl.FloatMatrix");
        Class<?> targetsC = cl.loadClass("org.softmaxcl.Targets");
        Class<?> xoC = cl.loadClass("org.softmaxcl.XentOptions");
        Class<?> soC = cl.loadClass("org.softmaxcl.SoftmaxOptions");
        Class<?> policyC = cl.loadClass("org.softmaxcl.NonFinitePolicy");
        Object policy = policyC.getMethod("valueOf", String.class).invoke(null, nonFinite);

        Object backend = cpuC.getConstructor(int.class, String.class).newInstance(threads, "JarPair");
        Object engine = engineC.getMethod("over", backendC).invoke(null, backend);
        float[] x;
        int[] t;
        if (Boolean.getBoolean("spikes")) {   // the JMH benchmarks' batch, logits and targets
            Batch b = new Batch(n + "x" + k, 42);
            x = b.logits;
            t = b.targets;
        } else {
            SplittableRandom rnd = new SplittableRandom(42);
            x = new float[n * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * SCALE);
            }
            t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = rnd.nextInt(k);
            }
        }
        Method of = matrixC.getMethod("of", float[].class, int.class, int.class);
        Object xm = of.invoke(null, x, n, k);
        Object out = of.invoke(null, new float[n * k], n, k);
        if (op.equals("xent")) {
            Object targets = targetsC.getMethod("hard", int[].class).invoke(null, (Object) t);
            Object builder = xoC.getMethod("builder").invoke(null);
            builder.getClass().getMethod("nonFinite", policyC).invoke(builder, policy);
            Class<?> bc = builder.getClass();
            switch (options) {
                case "plain" -> { }
                case "smooth" -> bc.getMethod("labelSmoothing", float.class).invoke(builder, 0.1f);
                case "stats" -> bc.getMethod("rowStats", boolean.class).invoke(builder, true);
                case "softcap" -> bc.getMethod("softcap", float.class).invoke(builder, 30f);
                case "softcapRowT" -> {   // the soft-cap at a temperature per row, 0.5 to 2
                    bc.getMethod("softcap", float.class).invoke(builder, 30f);
                    float[] temps = new float[n];
                    for (int i = 0; i < n; i++) {
                        temps[i] = 0.5f + 1.5f * (i % 7) / 6f;
                    }
                    bc.getMethod("rowTemperatures", float[].class).invoke(builder, (Object) temps);
                }
                case "soft" -> {   // as XentBench: 0.9 on the hard target, the rest spread evenly
                    float[] y = new float[n * k];
                    Arrays.fill(y, 0.1f / (k - 1));
                    for (int i = 0; i < n; i++) {
                        y[i * k + t[i]] = 0.9f;
                    }
                    targets = targetsC.getMethod("soft", matrixC).invoke(null, of.invoke(null, y, n, k));
                }
                default -> throw new IllegalArgumentException(
                        "opts must be plain, smooth, soft, stats, softcap or softcapRowT, got " + options);
            }
            Object opts = builder.getClass().getMethod("build").invoke(builder);
            Method m = engineC.getMethod("crossEntropyWithGradient", matrixC, targetsC, xoC, matrixC);
            Object tg = targets;
            return () -> invoke(m, engine, xm, tg, opts, out);
        }
        Object opts = soC.getMethod("withNonFinite", policyC).invoke(soC.getField("DEFAULTS").get(null), policy);
        boolean log = op.startsWith("log");
        Method m = engineC.getMethod(log ? "logSoftmax" : "softmax", matrixC, matrixC, soC);
        if (op.endsWith("backward")) {   // the backward pass of (log-)softmax's output, g = the logits
            invoke(m, engine, xm, out, opts);
            Object dx = of.invoke(null, new float[n * k], n, k);
            Method b = engineC.getMethod(log ? "logSoftmaxBackward" : "softmaxBackward", matrixC, matrixC, matrixC);
            return () -> invoke(b, engine, out, xm, dx);
        }
        return () -> invoke(m, engine, xm, out, opts);
    }

    private static void invoke(Method m, Object target, Object... args) {
        try {
            m.invoke(target, args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double median(double[] a, int from, int to) {
        double[] s = Arrays.copyOfRange(a, from, to);
        Arrays.sort(s);
        return s[s.length / 2];
    }

    public static void main(String[] a) throws Exception {
        if (a.length < 7) {
            System.err.println("usage: JarPair xent|softmax|logsoftmax|softmaxbackward|logsoftmaxbackward N K THREADS ROUNDS CALLS JAR JAR...");
            System.exit(2);
        }
        String op = a[0];
        int n = Integer.parseInt(a[1]);
        int k = Integer.parseInt(a[2]);
        int threads = Integer.parseInt(a[3]);
        int rounds = Integer.parseInt(a[4]);
        int calls = Integer.parseInt(a[5]);
        int v = a.length - 6;
        String nonFinite = System.getProperty("nf", "PROPAGATE");
        String options = System.getProperty("opts", "plain");
        Runnable[] run = new Runnable[v];
        for (int i = 0; i < v; i++) {
            String[] jarProps = a[6 + i].split("@", 2);
            if (jarProps.length == 2) {   // jar@p=v,q=w: properties set while this build starts
                for (String pv : jarProps[1].split(",")) {
                    String[] kv = pv.split("=", 2);
                    System.setProperty(kv[0], kv.length == 2 ? kv[1] : "");
                }
            }
            run[i] = call(Path.of(jarProps[0]), op, n, k, threads, nonFinite, options);
        }
        // Warm-up: at least three blocks each and at least 3 s in all, so that C2 has compiled the
        // kernels of every build (a small call, 16384×10, runs 10–70× slower for its first ~50 calls).
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        for (int w = 0; w < 3 * calls || System.nanoTime() < warmUntil; w++) {
            for (Runnable r : run) {
                r.run();
            }
        }
        double[][] ms = new double[v][rounds * calls];
        for (int rd = 0; rd < rounds; rd++) {
            for (int j = 0; j < v; j++) {
                int i = rd % 2 == 0 ? j : v - 1 - j;
                for (int c = 0; c < calls; c++) {
                    long t0 = System.nanoTime();
                    run[i].run();
                    ms[i][rd * calls + c] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        for (int i = 0; i < v; i++) {
            double med = median(ms[i], 0, ms[i].length);
            System.out.printf(Locale.ROOT, "%-40s median %.3f ms  %.3f Gelem/s%n", a[6 + i], med, (double) n * k / med / 1e6);
        }
        for (int i = 1; i < v; i++) {
            double[] ratio = new double[rounds];
            for (int rd = 0; rd < rounds; rd++) {
                ratio[rd] = median(ms[i], rd * calls, (rd + 1) * calls) / median(ms[0], rd * calls, (rd + 1) * calls);
            }
            Arrays.sort(ratio);
            System.out.printf(Locale.ROOT, "time %s / %s: median over %d rounds %.3f (quartiles %.3f-%.3f)%n",
                    a[6 + i], a[6], rounds, ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4]);
        }
    }
}
