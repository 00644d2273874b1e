package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Workers#run}: copies offered to pool threads that have not started when the caller's
 * copy returns are withdrawn (never run, not waited for); copies that started are waited for,
 * and their failures thrown.
 */
class WorkersTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(1);

    @AfterEach
    void shutdown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // waiting for the busy thread never returns
    void aCopyThatHasNotStartedWhenTheCallerIsDoneNeverRunsAndIsNotWaitedFor() throws Exception {
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch blockerStarted = new CountDownLatch(1);
        pool.submit(() -> {          // keeps the pool's only thread busy until released
            blockerStarted.countDown();
            busy.await();
            return null;
        });
        assertThat(blockerStarted.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicInteger runs = new AtomicInteger();
        long t0 = System.nanoTime();
        Workers.run(pool, 2, runs::incrementAndGet);      // returns although the pool thread is busy
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(runs.get()).as("the caller's copy only").isEqualTo(1);
        assertThat(seconds).isLessThan(5);
        busy.countDown();
        CountDownLatch drained = new CountDownLatch(1);
        pool.submit(drained::countDown);                  // runs after the withdrawn copy
        assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(runs.get()).as("the withdrawn copy never ran").isEqualTo(1);
    }

    @Test
    void aCopyThatStartedIsWaitedForAndItsFailureThrown() {
        CountDownLatch workerIn = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Runnable worker = () -> {
            if (!Thread.currentThread().getName().startsWith("pool")) {
                try {       // the caller's copy: wait until the pool's copy has started
                    assertThat(workerIn.await(10, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return;
            }
            workerIn.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            finished.incrementAndGet();
            throw new IllegalArgumentException("from the pool's copy");
        };
        assertThatThrownBy(() -> Workers.run(pool, 2, worker)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("from the pool's copy");
        assertThat(finished.get()).as("returned only after the started copy had finished").isEqualTo(1);
    }
}
