package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link RowSums#log1p}, the log d of every row's finish on the vector and float32 paths, against
 * {@link Math#log1p} over the arguments d − 1 takes (0, subnormal and tiny sums of a confident
 * row, whole numbers of ties, up to 2^40): within 4 ulp, and exact where log1p is exact.
 */
class RowLog1pTest {

    private static double ulps(double got, double want) {
        return Math.abs(got - want) / Math.ulp(want);
    }

    @Test
    void staysWithinFourUlpOfMathLog1p() {
        Random rnd = new Random(2026);
        double worst = 0;
        double at = 0;
        for (int i = 0; i < 2_000_000; i++) {
            double x = switch (i % 3) {
                case 0 -> Math.pow(2, -1074 + 1114 * rnd.nextDouble());     // log-uniform, 2^-1074 .. 2^40
                case 1 -> rnd.nextDouble() * 8;
                default -> rnd.nextInt(1 << 20);                             // ties − 1 and whole sums
            };
            double e = ulps(RowSums.log1p(x), Math.log1p(x));
            if (e > worst) {
                worst = e;
                at = x;
            }
        }
        assertThat(worst).as("worst error in ulp (at x = " + at + ")").isLessThanOrEqualTo(4.0);
    }

    @Test
    void exactCases() {
        assertThat(RowSums.log1p(0.0)).isEqualTo(0.0);
        assertThat(RowSums.log1p(Double.MIN_VALUE)).isEqualTo(Double.MIN_VALUE);
        assertThat(RowSums.log1p(1e-20)).isEqualTo(1e-20);
        assertThat(ulps(RowSums.log1p(1.0), Math.log(2))).isLessThanOrEqualTo(1.0);
    }
}
