package org.softmaxcl.cli;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A seeded, non-uniform batch of logits and hard targets that looks like a classifier or language
 * model head in training: a Zipf-like per-class bias (frequent classes score higher), noise of
 * standard deviation 2, one logit in 256 spiked by +8, targets drawn log-uniformly over the
 * classes, and the target's logit raised by 8 on three rows in four (the model is learning).
 *
 * <p>Each row draws from its own generator seeded by (seed, row), so the batch is the same
 * whatever the number of threads that fill it.
 *
 * @param logits N×K row-major
 * @param targets N class indices in [0, K)
 */
record SyntheticBatch(int rows, int classes, float[] logits, int[] targets) {

    /** Makes an N×K batch from {@code seed}. */
    static SyntheticBatch of(int n, int k, long seed) {
        long size = (long) n * k;
        if (size > Integer.MAX_VALUE - 8) {
            throw new UsageException(n + " rows x " + k + " classes = " + size + " elements, more than a Java array holds");
        }
        float[] x = new float[(int) size];
        int[] t = new int[n];
        float[] bias = new float[k];
        for (int j = 0; j < k; j++) {
            bias[j] = (float) (-0.5 * Math.log1p(j));
        }
        IntStream.range(0, n).parallel().forEach(i -> {
            SplittableRandom r = new SplittableRandom(mix(seed, i));
            int base = i * k;
            for (int j = 0; j < k; j++) {
                long bits = r.nextLong();
                // Sum of three 16-bit uniforms (mean 1.5, standard deviation 0.5): close to a
                // Gaussian; the top 8 bits pick one logit in 256 for a spike.
                double u = ((bits & 0xffff) + (bits >>> 16 & 0xffff) + (bits >>> 32 & 0xffff)) / 65536.0;
                float v = bias[j] + (float) ((u - 1.5) * 4.0);
                if (bits >>> 56 == 0) {
                    v += 8f;
                }
                x[base + j] = v;
            }
            int ti = (int) Math.floor(Math.pow(k, r.nextDouble())) - 1;
            t[i] = Math.max(0, Math.min(k - 1, ti));
            if (r.nextInt(4) != 0) {
                x[base + t[i]] += 8f;
            }
        });
        return new SyntheticBatch(n, k, x, t);
    }

    /** A 64-bit mix of (seed, row) (SplitMix64's finaliser). */
    static long mix(long seed, long row) {
        long z = seed * 0x9E3779B97F4A7C15L + row + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
