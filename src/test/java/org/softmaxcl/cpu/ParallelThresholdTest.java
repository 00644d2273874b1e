package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CpuBackend}'s parallel threshold ({@link CpuBackend#PARALLEL_MIN_PROPERTY}): a call of
 * fewer elements runs on the caller's thread alone, even when its chunks take long enough for a
 * pool thread to join; from the threshold on, a pool thread takes chunks; every row runs once
 * either way. The kernels' defaults (2^17 on the Vector API kernels, 2^15 on the slower ones),
 * the property's values and its bad ones.
 */
class ParallelThresholdTest {
    private static final int K = 100;
    /** Several chunks below it ({@link CpuBackend#MIN_CHUNK_ELEMENTS} each at least), so a helper could take some. */
    private static final long THRESHOLD = 100_000;

    /** Runs rows of K through forRows; returns the threads that ran chunks. */
    private static Set<Thread> run(CpuBackend backend, int rows, long chunkMillis, CountDownLatch poolJoined) {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        AtomicIntegerArray seen = new AtomicIntegerArray(rows);
        Thread caller = Thread.currentThread();
        backend.forRows(rows, K, (r0, r1) -> {
            threads.add(Thread.currentThread());
            for (int r = r0; r < r1; r++) {
                seen.incrementAndGet(r);
            }
            try {
                if (poolJoined != null && Thread.currentThread() != caller) {
                    poolJoined.countDown();
                } else if (poolJoined != null) {   // the caller holds its chunk until a pool thread has one
                    assertThat(poolJoined.await(20, TimeUnit.SECONDS)).as("a pool thread took a chunk").isTrue();
                } else {
                    Thread.sleep(chunkMillis);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        for (int r = 0; r < rows; r++) {
            assertThat(seen.get(r)).as("runs of row %d", r).isEqualTo(1);
        }
        return threads;
    }

    @Test
    void belowTheThresholdACallNeverLeavesTheCallersThread() {
        try (CpuBackend backend = new CpuBackend(new ScalarKernels(), 2, "test", THRESHOLD)) {
            int rows = (int) (THRESHOLD / K) - 1;   // 99 900 elements, 7 chunks
            assertThat(CpuBackend.chunkRows(rows, K, 2)).as("rows per chunk").isLessThan(rows / 4);
            // 5 ms per chunk: a pool thread offered the work would start within them.
            assertThat(run(backend, rows, 5, null)).containsExactly(Thread.currentThread());
        }
    }

    @Test
    void fromTheThresholdOnAPoolThreadTakesChunks() {
        try (CpuBackend backend = new CpuBackend(new ScalarKernels(), 2, "test", THRESHOLD)) {
            int rows = (int) (THRESHOLD / K);   // 100 000 elements, 7 chunks
            Set<Thread> threads = run(backend, rows, 0, new CountDownLatch(1));
            assertThat(threads).hasSize(2).contains(Thread.currentThread());
        }
    }

    @Test
    void unsetTheKernelsDefaultHoldsElseAWholeNumber() {
        assertThat(CpuBackend.parallelMinElements(null, 123)).isEqualTo(123L);
        assertThat(CpuBackend.parallelMinElements(" 32768 ", 123)).isEqualTo(32768L);
        assertThat(CpuBackend.parallelMinElements("0", 123)).isZero();
        assertThat(new ScalarKernels().parallelMinElements()).isEqualTo(1L << 15);
        assertThat(new Float32Kernels().parallelMinElements()).isEqualTo(1L << 15);
        assertThat(new VectorKernels().parallelMinElements()).as("the Vector API kernels, several times faster")
                .isEqualTo(1L << 17);
    }

    @Test
    void engineCpuRefusesABadPropertyNamingIt() {
        String before = System.getProperty(CpuBackend.PARALLEL_MIN_PROPERTY);
        System.setProperty(CpuBackend.PARALLEL_MIN_PROPERTY, "lots");
        try {
            assertThatThrownBy(org.softmaxcl.Engine::cpu)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("softmaxcl.cpu.parallelMinElements must be an integer >= 0, got 'lots'");
        } finally {
            if (before == null) {
                System.clearProperty(CpuBackend.PARALLEL_MIN_PROPERTY);
            } else {
                System.setProperty(CpuBackend.PARALLEL_MIN_PROPERTY, before);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "lots", "1.5", ""})
    void aBadValueIsRefusedNamingThePropertyAndTheValue(String value) {
        assertThatThrownBy(() -> CpuBackend.parallelMinElements(value, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("softmaxcl.cpu.parallelMinElements must be an integer >= 0, got '" + value + "'");
    }
}
