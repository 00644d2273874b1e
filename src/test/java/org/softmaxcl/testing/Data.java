package org.softmaxcl.testing;

import java.util.Random;

/**
 * Seeded test inputs. Logits are non-uniform, as llm.c's harness makes them: Gaussian with about
 * one value in 50 multiplied by 20 (outliers), so that probabilities are not all near 1/K and a
 * test of p means something.
 */
public final class Data {
    private final Random rnd;

    public Data(long seed) {
        rnd = new Random(seed);
    }

    public Random random() {
        return rnd;
    }

    public int nextInt(int lo, int hiInclusive) {
        return lo + rnd.nextInt(hiInclusive - lo + 1);
    }

    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * rnd.nextDouble();
    }

    public boolean coin(double p) {
        return rnd.nextDouble() < p;
    }

    /** n·k logits: N(0, sigma²), about 2% of them × 20. */
    public float[] logits(int n, int k, double sigma) {
        float[] x = new float[Math.multiplyExact(n, k)];
        for (int i = 0; i < x.length; i++) {
            double v = rnd.nextGaussian() * sigma;
            if (rnd.nextInt(50) == 0) {
                v *= 20;
            }
            x[i] = (float) v;
        }
        return x;
    }

    /** Hard targets in [0, k); each replaced by {@code ignore} with probability {@code pIgnore}. */
    public int[] targets(int n, int k, double pIgnore, int ignore) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextDouble() < pIgnore ? ignore : rnd.nextInt(k);
        }
        return t;
    }

    /**
     * Soft target rows: non-negative, some exact zeros, some rows normalised to 1 and some not (the
     * loss is defined for any row sum).
     */
    public float[] softTargets(int n, int k) {
        float[] y = new float[n * k];
        for (int i = 0; i < n; i++) {
            boolean normalise = rnd.nextBoolean();
            double sum = 0;
            for (int j = 0; j < k; j++) {
                double v = rnd.nextInt(4) == 0 ? 0 : -Math.log(1 - rnd.nextDouble());
                y[i * k + j] = (float) v;
                sum += v;
            }
            if (normalise && sum > 0) {
                for (int j = 0; j < k; j++) {
                    y[i * k + j] = (float) (y[i * k + j] / sum);
                }
            }
        }
        return y;
    }

    /** n values uniform in [lo, hi). */
    public float[] uniforms(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) uniform(lo, hi);
        }
        return v;
    }

    /** float[] to double[]. */
    public static double[] d(float[] a) {
        return Compare.widen(a);
    }
}
