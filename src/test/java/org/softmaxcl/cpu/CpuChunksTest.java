package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * How {@link CpuBackend#forRows} deals rows out: chunks of {@link CpuBackend#chunkRows} rows that
 * threads take in turn, every row exactly once, chunks of small K on multiples of
 * {@value CpuBackend#ROW_ALIGN} rows, and a failure in one chunk stopping the others.
 */
class CpuChunksTest {

    @ParameterizedTest(name = "{0}x{1} on {2} threads")
    @CsvSource({"262144, 10, 2", "4097, 10, 3", "16384, 1000, 2", "64, 262144, 2", "2048, 32000, 5",
            "33, 1000, 4", "100000, 1, 3", "17, 31, 2", "5000, 32, 7", "70001, 63, 3"})
    void everyRowIsDoneOnceInChunksOfTheAgreedSize(int rows, int k, int threads) {
        int chunk = CpuBackend.chunkRows(rows, k, threads);
        assertThat(chunk).isBetween(1, rows);
        if (k < CpuBackend.SMALL_K && chunk < rows) {
            assertThat(chunk % CpuBackend.ROW_ALIGN).as("chunk of small K on a multiple of the lane groups").isZero();
        }
        if (chunk < rows) {
            assertThat((long) chunk * k).as("elements per chunk").isGreaterThanOrEqualTo(CpuBackend.MIN_CHUNK_ELEMENTS);
        }
        long chunks = (rows + chunk - 1) / chunk;
        if ((long) rows * k >= (long) CpuBackend.MIN_CHUNK_ELEMENTS * threads * CpuBackend.CHUNKS_PER_THREAD * 2
                && k >= CpuBackend.SMALL_K) {
            assertThat(chunks).as("chunks for " + threads + " threads").isBetween((long) threads * CpuBackend.CHUNKS_PER_THREAD / 2,
                    (long) threads * CpuBackend.CHUNKS_PER_THREAD);
        }
        AtomicIntegerArray seen = new AtomicIntegerArray(rows);
        try (CpuBackend b = new CpuBackend(new ScalarKernels(), threads, "test")) {
            b.forRows(rows, k, (r0, r1) -> {
                if (k < CpuBackend.SMALL_K) {
                    assertThat(r0 % CpuBackend.ROW_ALIGN).as("chunk start").isZero();
                }
                for (int i = r0; i < r1; i++) {
                    seen.incrementAndGet(i);
                }
            });
        }
        for (int i = 0; i < rows; i++) {
            assertThat(seen.get(i)).as("times row " + i + " was done").isEqualTo(1);
        }
    }

    @Test
    void chunksOfEveryKTheLaneKernelsTakeAreAligned() {
        assertThat(CpuBackend.SMALL_K).isGreaterThanOrEqualTo(VectorKernels.XENT_LANES_K);
        assertThat(CpuBackend.ROW_ALIGN % LaneTile.L).isZero();
    }

    @Test
    void aFailingChunkStopsTheOthersAndIsRethrown() throws Exception {
        int rows = 4096;
        int k = 1000;
        int threads = 3;
        AtomicIntegerArray seen = new AtomicIntegerArray(rows);
        java.util.concurrent.CountDownLatch failed = new java.util.concurrent.CountDownLatch(1);
        try (CpuBackend b = new CpuBackend(new ScalarKernels(), threads, "test")) {
            int chunk = CpuBackend.chunkRows(rows, k, threads);
            assertThatThrownBy(() -> b.forRows(rows, k, (r0, r1) -> {
                if (r0 == 0) {
                    IllegalStateException fails = new IllegalStateException("chunk 0 fails");
                    failed.countDown();
                    throw fails;
                }
                try {
                    // Every other chunk waits for the failure and then long enough for it to be
                    // recorded (a throw and a catch away): no chunk may be taken after this one.
                    failed.await();
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = r0; i < r1; i++) {
                    seen.incrementAndGet(i);
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 0 fails");
            int done = 0;
            for (int i = 0; i < rows; i++) {
                done += seen.get(i);
            }
            // At most the chunks the other threads had taken when chunk 0 failed.
            assertThat(done).isLessThanOrEqualTo((threads - 1) * chunk);
            assertThat((rows + chunk - 1) / chunk).isGreaterThan(threads);
        }
    }

    /**
     * Runs a read-ahead job over rows × k on {@code threads} threads; the job returns, for the row
     * {@code ahead}, the value ahead + 0.5 (a stand-in for its max), and records the firstMax each
     * chunk got. Chunk 0 sleeps {@code slowMs} first, so that its reservation can be taken over.
     * Returns the number of chunks that got a firstMax.
     */
    private static int runAhead(int rows, int k, int threads, long slowMs) {
        AtomicIntegerArray seen = new AtomicIntegerArray(rows);
        java.util.Map<Integer, Float> firstMax = new java.util.concurrent.ConcurrentHashMap<>();
        try (CpuBackend b = new CpuBackend(new ScalarKernels(), threads, "test")) {
            b.forRows(rows, k, (r0, r1, fm, ahead) -> {
                if (r0 == 0 && slowMs > 0) {
                    try {
                        Thread.sleep(slowMs);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                assertThat(firstMax.put(r0, fm)).as("chunk at row %d run twice", r0).isNull();
                for (int i = r0; i < r1; i++) {
                    seen.incrementAndGet(i);
                }
                assertThat(ahead).as("ahead of the chunk at %d", r0).isGreaterThanOrEqualTo(-1).isLessThan(rows);
                assertThat(ahead >= r0 && ahead < r1).as("ahead %d inside its own chunk [%d, %d)", ahead, r0, r1).isFalse();
                return ahead >= 0 ? ahead + 0.5f : Float.NaN;
            });
        }
        for (int i = 0; i < rows; i++) {
            assertThat(seen.get(i)).as("times row " + i + " was done").isEqualTo(1);
        }
        int handed = 0;
        for (java.util.Map.Entry<Integer, Float> e : firstMax.entrySet()) {
            if (!Float.isNaN(e.getValue())) {
                assertThat(e.getValue()).as("firstMax of the chunk at row %d", e.getKey()).isEqualTo(e.getKey() + 0.5f);
                handed++;
            }
        }
        return handed;
    }

    @Test
    void aChunkGetsTheRowItsThreadReadAheadOfItAndNoOther() {
        // 16 chunks of 4 rows on 2 threads: each thread reserves its next chunk before running the
        // current one, so all but the threads' first chunks (and any taken over) get their first max.
        int handed = runAhead(64, 1 << 14, 2, 0);
        assertThat(handed).as("chunks that got their first row's max").isGreaterThanOrEqualTo(1);
        assertThat(runAhead(64, 1 << 14, 3, 0)).isGreaterThanOrEqualTo(1);
        assertThat(runAhead(1000, 1 << 10, 4, 0)).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aChunkReservedByASlowThreadIsTakenOverWithoutItsMax() {
        // Chunk 0's thread sleeps while the others finish every other chunk, the one it reserved
        // included: that chunk runs once, on another thread, and never with chunk 0's value.
        runAhead(64, 1 << 14, 2, 300);
        runAhead(40, 1 << 14, 3, 300);
    }
}
