package org.softmaxcl.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Logit matrices of many shapes, from K = 1 to K = 131072 and N = 1 to N = 100000, with
 * non-uniform values, and matrices of extreme rows (±1e4, 1e8-scale, −∞ masks, −1e30, ties).
 */
public final class Shapes {
    private Shapes() {
    }

    /** A named N×K logit matrix with hard and soft targets. */
    public record Shape(String name, int n, int k, float[] x, int[] hard, float[] soft) {
        @Override
        public String toString() {
            return name + " " + n + "x" + k;
        }
    }

    /** K sweep (sizes around powers of two and the V1 group size), N sweep, and the two big shapes. */
    public static List<Shape> sweep() {
        Data d = new Data(424242);
        List<Shape> s = new ArrayList<>();
        int[] ks = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 33, 63, 64, 65, 127, 129, 255, 256, 257, 1000, 1023, 1025,
                4096, 4099, 32775};
        for (int i = 0; i < ks.length; i++) {
            int k = ks[i];
            int n = k > 4000 ? 3 : new int[] {1, 3, 5, 2}[i % 4];
            s.add(random(d, "K sweep", n, k));
        }
        for (int n : new int[] {1, 2, 63, 64, 65, 1000, 4097}) {
            s.add(random(d, "N sweep", n, n % 2 == 0 ? 2 : 10));
        }
        s.add(random(d, "huge K", 2, 131072));
        s.add(random(d, "huge N", 100000, 3));
        return s;
    }

    /** Gaussian logits with outliers, random hard targets and soft targets. */
    public static Shape random(Data d, String name, int n, int k) {
        return new Shape(name, n, k, d.logits(n, k, 3), d.targets(n, k, 0, -100), d.softTargets(n, k));
    }

    /** Matrices whose rows are extreme in different ways, for a few K. */
    public static List<Shape> extremes() {
        Data d = new Data(777);
        List<Shape> s = new ArrayList<>();
        for (int k : new int[] {1, 5, 64, 300, 2000}) {
            s.add(extreme(d, k));
        }
        return s;
    }

    static final int EXTREME_KINDS = 9;

    /**
     * One row of each extreme kind (K ≥ 1; every row keeps at least one finite logit). Hard targets
     * sit on a finite logit, except in the masked row, whose target is masked (p = 0: loss +∞).
     * Soft targets are 0 on masked logits.
     */
    public static Shape extreme(Data d, int k) {
        int n = EXTREME_KINDS;
        float[] x = new float[n * k];
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                double g = d.random().nextGaussian();
                double v = switch (i) {
                    case 0 -> d.uniform(-1e4, 1e4);                          // ±1e4
                    case 1 -> 1e8 - 8 * d.nextInt(0, 200);                   // 1e8-scale, 8 apart (float spacing)
                    case 2 -> d.coin(0.3) ? Double.NEGATIVE_INFINITY : 3 * g;   // −∞ masks
                    case 3 -> d.coin(0.5) ? -1e30 : 3 * g;                     // −1e30
                    case 4 -> 7;                                               // ties everywhere
                    case 5 -> j == k / 2 ? 1e4 : -1e4;                         // one certain class
                    case 6 -> new double[] {-1e30, Double.NEGATIVE_INFINITY, 1e4, 0}[j % 4];
                    case 7 -> d.uniform(-1e8, 1e8);                          // 1e8 spread
                    default -> 20 * g;                                         // wide Gaussian
                };
                x[i * k + j] = (float) v;
            }
            // Keep a finite logit in every row.
            int keep = (i * 7) % k;
            if (!Float.isFinite(x[i * k + keep])) {
                x[i * k + keep] = 1f;
            }
            t[i] = keep;
            if (i == 2) {
                for (int j = 0; j < k; j++) {
                    if (x[i * k + j] == Float.NEGATIVE_INFINITY) {
                        t[i] = j;      // the target itself is masked
                        break;
                    }
                }
            }
        }
        float[] y = d.softTargets(n, k);
        for (int e = 0; e < x.length; e++) {
            if (x[e] == Float.NEGATIVE_INFINITY) {
                y[e] = 0;
            }
        }
        return new Shape("extreme", n, k, x, t, y);
    }
}
