package org.softmaxcl.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * {@link CeBlockSums}: blocks filled from ranges of rows reported in any order, from several
 * threads at once, hold exactly the sums {@link CeBlockSums#of} gives (the engine's own, to the
 * bit), each within float64 rounding of the exact sum of the block's counted rows; an incomplete
 * report is refused.
 */
class CeBlockSumsTest {
    private static final int K = 3;
    private static final int IGNORE = -100;

    /** N rows whose every fifth is ignored (or none, {@code allCount}), ce values over six decades. */
    private static XentTask task(int n, boolean allCount) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = !allCount && i % 5 == 3 ? IGNORE : i % K;
        }
        return Checks.xent(FloatMatrix.of(new float[n * K], n, K), Targets.hard(t),
                XentOptions.builder().ignoreIndex(IGNORE).build(), null);
    }

    private static float[] ce(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] ce = new float[n];
        for (int i = 0; i < n; i++) {
            ce[i] = (float) (rnd.nextDouble() * Math.pow(10, rnd.nextInt(-3, 4)));
        }
        return ce;
    }

    /** [r0, r1) ranges of random lengths (1 to 3000 rows) covering [0, n) once, in random order. */
    private static List<int[]> shuffledRanges(int n, long seed) {
        Random rnd = new Random(seed);
        List<int[]> ranges = new ArrayList<>();
        for (int r = 0; r < n; ) {
            int len = Math.min(n - r, 1 + rnd.nextInt(3000));
            ranges.add(new int[] {r, r + len});
            r += len;
        }
        Collections.shuffle(ranges, rnd);
        return ranges;
    }

    @Test
    void rangesReportedInAnyOrderFromFourThreadsGiveTheBlocksOwnSums() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int n : new int[] {1, 4095, 4096, 4097, 3 * CeBlockSums.ROWS + 37}) {
                for (boolean allCount : new boolean[] {true, false}) {
                    XentTask t = task(n, allCount);
                    float[] ce = ce(n, n);
                    CeBlockSums sums = new CeBlockSums(t, ce);
                    List<int[]> ranges = shuffledRanges(n, 31L * n + (allCount ? 1 : 0));
                    AtomicInteger next = new AtomicInteger();
                    List<Future<?>> fs = new ArrayList<>();
                    for (int w = 0; w < 4; w++) {
                        fs.add(pool.submit(() -> {
                            for (int i = next.getAndIncrement(); i < ranges.size(); i = next.getAndIncrement()) {
                                sums.rowsDone(ranges.get(i)[0], ranges.get(i)[1]);
                            }
                        }));
                    }
                    for (Future<?> f : fs) {
                        f.get();
                    }
                    double[] got = sums.sums();
                    assertThat(got).hasSize(CeBlockSums.blocks(n));
                    for (int b = 0; b < got.length; b++) {
                        String what = "N = " + n + (allCount ? "" : " with ignored rows") + ", block " + b;
                        assertThat(Double.doubleToRawLongBits(got[b])).as(what)
                                .isEqualTo(Double.doubleToRawLongBits(CeBlockSums.of(t, ce, n, b)));
                        BigDecimal exact = BigDecimal.ZERO;
                        int end = Math.min(n, (b + 1) * CeBlockSums.ROWS);
                        for (int i = b * CeBlockSums.ROWS; i < end; i++) {
                            exact = t.counted(i) ? exact.add(new BigDecimal(ce[i])) : exact;
                        }
                        // Eight float64 chains over at most ROWS rows each.
                        assertThat(got[b]).as(what).isCloseTo(exact.doubleValue(),
                                org.assertj.core.api.Assertions.within(CeBlockSums.ROWS * 0x1p-52 * exact.doubleValue()));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Missing rows are refused; empty ranges count nothing, before or after a block is complete. */
    @Test
    void sumsAreRefusedUntilEveryRowIsReported() {
        int n = 2 * CeBlockSums.ROWS + 5;
        CeBlockSums sums = new CeBlockSums(task(n, true), ce(n, 1));
        sums.rowsDone(0, CeBlockSums.ROWS + 100);
        sums.rowsDone(CeBlockSums.ROWS + 101, n);     // row ROWS + 100 missing
        assertThatThrownBy(sums::sums).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("block 1");
        sums.rowsDone(CeBlockSums.ROWS + 100, CeBlockSums.ROWS + 101);
        assertThat(sums.sums()).hasSize(3);
        sums.rowsDone(CeBlockSums.ROWS + 7, CeBlockSums.ROWS + 7);   // an empty range reports nothing
        assertThat(sums.sums()).hasSize(3);
    }

    @Test
    void aCeArrayShorterThanTheTaskIsRefused() {
        assertThatThrownBy(() -> new CeBlockSums(task(10, true), new float[9]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ce holds 9 rows");
    }
}
