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
}
