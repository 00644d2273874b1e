package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmaxcl.backend.CeBlockSums;
import org.softmaxcl.backend.Checks;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.XentTask;

/**
 * The loss reduction's plain case (no weights, no z-loss, no per-row outputs): interleaved
 * partial sums that must count exactly the counted rows, every one once, whatever N mod 4 is, and
 * give the exact sum to float64's precision, as the general row-order loop does.
 */
class LossReductionTest {
    private static final int K = 5;
    private static final int IGNORE = -100;

    /** A task over N rows whose every third row is ignored, and per-row ce values from a seed. */
    private static XentTask task(int n, XentOptions opts) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 3 == 2 ? IGNORE : i % K;
        }
        return Checks.xent(FloatMatrix.of(new float[n * K], n, K), Targets.hard(t), opts, null);
    }

    private static RowOutputs rows(int n, long seed) {
        RowOutputs r = new RowOutputs(n, false);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            // Magnitudes over six decades, so that an order of addition shows in float64.
            r.ce[i] = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(-3, 4)));
        }
        return r;
    }

    private static XentOptions.Builder base() {
        return XentOptions.builder().ignoreIndex(IGNORE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1001, 262147})
    void plainSumIsTheExactSumOfTheCountedRows(int n) {
        XentOptions opts = base().reduction(Reduction.SUM).build();
        XentTask t = task(n, opts);
        RowOutputs r = rows(n, n);
        BigDecimal exact = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
            if (t.counted(i)) {
                exact = exact.add(new BigDecimal(r.ce[i]));
            }
        }
        double sum = LossReduction.plainSum(t, r.ce, n, null);
        // Eight float64 chains: each partial within n·2^−53 of its exact value, relative.
        assertThat(sum).isCloseTo(exact.doubleValue(), within(Math.max(1, n) * 0x1p-52 * exact.doubleValue() + 0.0));
        assertThat(LossReduction.reduce(t, r).loss()).isEqualTo(sum);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 7, 1001})
    void plainCaseAgreesWithTheGeneralLoop(int n) {
        RowOutputs r = rows(n, 7 * n);
        XentOptions plain = base().build();
        // Sample weights of 1 change no term but take the general row-order loop.
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        XentOptions general = base().sampleWeights(ones).build();
        XentResult a = LossReduction.reduce(task(n, plain), r);
        XentResult b = LossReduction.reduce(task(n, general), r);
        assertThat(a.denominator()).isEqualTo(b.denominator());
        assertThat(a.countedRows()).isEqualTo(b.countedRows()).isEqualTo(n - n / 3);
        assertThat(a.loss()).isCloseTo(b.loss(), within(1e-12 * Math.abs(b.loss())));
    }

    /**
     * The target count without weights: the range look (every target a class, the ignore index
     * outside their range: all rows count) and the row-by-row count (an ignore index inside the
     * classes' range, used by some rows or by none) agree with counting by hand, and the plain sum
     * skips exactly the ignored rows.
     */
    @ParameterizedTest
    @ValueSource(ints = {IGNORE, 2, 4, 7})
    void targetCountsWithTheIgnoreIndexInsideOrOutsideTheClasses(int ignore) {
        int n = 1003;
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = (i * 3) % K;   // classes 0..4: ignore 2 and 4 hit rows, IGNORE and 7 none
        }
        XentOptions opts = XentOptions.builder().ignoreIndex(ignore).reduction(Reduction.SUM).build();
        XentTask task = Checks.xent(FloatMatrix.of(new float[n * K], n, K), Targets.hard(t), opts, null);
        int expect = 0;
        for (int v : t) {
            expect += v != ignore ? 1 : 0;
        }
        assertThat(task.countedRows()).isEqualTo(expect);
        assertThat(task.denominator()).isEqualTo(1.0);   // SUM
        assertThat(Checks.xent(FloatMatrix.of(new float[n * K], n, K), Targets.hard(t),
                opts.toBuilder().reduction(Reduction.MEAN).build(), null).denominator()).isEqualTo(expect);
        RowOutputs r = rows(n, 5);
        BigDecimal exact = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
            if (t[i] != ignore) {
                exact = exact.add(new BigDecimal(r.ce[i]));
            }
        }
        assertThat(LossReduction.plainSum(task, r.ce, n, null)).isCloseTo(exact.doubleValue(),
                within(n * 0x1p-52 * exact.doubleValue()));
    }

    /**
     * The CPU backend fills the plain sum's blocks on its threads ({@link CeBlockSums}), from
     * chunks whose edges fall inside blocks (20011×10 on 3 threads: chunks of 1648 rows): the
     * loss has the bits of the engine summing the same per-row parts itself, on 1 thread and 3.
     */
    @org.junit.jupiter.api.Test
    void blockSumsFilledByTheCpuThreadsGiveTheBitsOfTheEnginesOwnSum() {
        int n = 20011;
        int k = 10;
        org.softmaxcl.testing.Data d = new org.softmaxcl.testing.Data(5);
        float[] x = d.logits(n, k, 3);
        int[] t = d.targets(n, k, 0.1, IGNORE);
        XentOptions opts = base().reduction(Reduction.NONE).build();
        XentTask task = Checks.xent(FloatMatrix.of(x, n, k), Targets.hard(t), opts, null);
        for (int threads : new int[] {1, 3}) {
            try (Engine e = Engine.over(new org.softmaxcl.cpu.CpuBackend(threads, "test"))) {
                XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), opts,
                        FloatMatrix.of(new float[n * k], n, k));
                assertThat(Double.doubleToRawLongBits(r.loss())).as(threads + " threads")
                        .isEqualTo(Double.doubleToRawLongBits(LossReduction.plainSum(task, r.rowLosses(), n, null)));
                assertThat(r.countedRows()).isLessThan(n);
            }
        }
        // The backend did fill them, one per block, each the block's own sum.
        try (org.softmaxcl.cpu.CpuBackend b = new org.softmaxcl.cpu.CpuBackend(3, "test")) {
            XentTask withGrad = Checks.xent(FloatMatrix.of(x, n, k), Targets.hard(t), opts, FloatMatrix.of(new float[n * k], n, k));
            RowOutputs rows = new RowOutputs(n, false);
            b.crossEntropy(withGrad, rows);
            assertThat(rows.ceBlockSums).hasSize(CeBlockSums.blocks(n));
            for (int i = 0; i < rows.ceBlockSums.length; i++) {
                assertThat(rows.ceBlockSums[i]).isEqualTo(CeBlockSums.of(withGrad, rows.ce, n, i));
            }
        }
    }
}
