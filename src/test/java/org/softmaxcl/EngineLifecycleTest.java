package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.ProcessMemory;

/**
 * Resources of CPU engines: 10⁴ create/compute/close cycles and 10⁵ calls on one engine leave the
 * worker threads and the resident memory flat; engines dropped without {@link Engine#close()}
 * have their worker threads stopped by the cleaner; the cleaner never releases an engine under a
 * call in flight. Every tenth cycle's call is big enough (64 × 600) to start a worker thread. The
 * numbers are printed ("lifecycle:" lines). Memory is the resident set outside the Java heap (the
 * collector grows and shrinks the heap on its own), read at three points after warm-up; the
 * quieter of the two windows between them must grow less than a generous bound
 * ({@link ProcessMemory.Windows}): a leak grows both, a one-off such as C2's arenas for a late
 * compile grows one.
 */
class EngineLifecycleTest {
    static final int N = 64;
    static final int K = 600;
    /**
     * Allowed growth outside the heap over the quieter of two windows (4000 cycles, 40 000 calls),
     * in KiB. A leaked 64 × 600 float buffer per large call would grow each cycle window by 60 MiB,
     * a leaked KiB per call each call window by 39 MiB.
     */
    static final long WINDOW_SLACK_KIB = 32 * 1024;

    private final float[] x = new Data(1).logits(N, K, 3);
    private final int[] t = new Data(2).targets(N, K, 0.1, -100);

    @BeforeEach
    void twoThreads() {
        System.setProperty("softmaxcl.threads", "2");
    }

    @AfterEach
    void clearThreads() {
        System.clearProperty("softmaxcl.threads");
    }

    private float[] cycleCall(Engine e, float[] grad) {
        e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(t), XentOptions.DEFAULTS, FloatMatrix.of(grad, N, K));
        return grad;
    }

    @Test
    void tenThousandCreateComputeCloseCyclesLeaveThreadsAndMemoryFlat() {
        int cycles = 10_000;
        int warm = 2_000;
        int mid = 6_000;
        long workers0 = ProcessMemory.cpuWorkers();
        float[] first = null;
        float[] grad = new float[N * K];
        float[] small = new float[2 * 8];
        ProcessMemory.Windows memory = new ProcessMemory.Windows();
        long t0 = 0;
        for (int c = 0; c < cycles; c++) {
            if (c == warm) {
                memory.read();
                t0 = System.nanoTime();
            }
            if (c == mid) {
                memory.read();
            }
            try (Engine e = Engine.cpu()) {
                if (c % 10 == 0) {
                    cycleCall(e, grad);
                } else {
                    e.softmax(FloatMatrix.of(x, 2, 8), FloatMatrix.of(small, 2, 8));
                }
            }
            if (first == null) {
                first = grad.clone();
            }
        }
        double usPerCycle = (System.nanoTime() - t0) / 1e3 / (cycles - warm);
        Compare.assertSameBits("the last cycle's gradient", first, grad);
        assertThat(ProcessMemory.gcUntil(() -> ProcessMemory.cpuWorkers() <= workers0, 10))
                .as("worker threads of closed engines end (%d left, %d before)", ProcessMemory.cpuWorkers(), workers0)
                .isTrue();
        memory.read();
        System.out.printf(Locale.ROOT, "lifecycle: %d CPU engine cycles, %.1f us/cycle; %s%n", cycles, usPerCycle, memory);
        assertThat(memory.quietestGrowthKib()).as("growth outside the heap in the quieter window, KiB (%s)", memory)
                .isLessThan(WINDOW_SLACK_KIB);
    }

    /**
     * Memory is read at three points, 40 000 calls apart, after 20 000 warm-up calls; the quieter
     * window's growth must stay under {@link #WINDOW_SLACK_KIB}.
     */
    @Test
    void aHundredThousandCallsOnOneEngineLeaveMemoryFlat() {
        int calls = 100_000;
        int n = 4;
        int k = 40;
        float[] xs = new Data(3).logits(n, k, 2);
        int[] ts = new Data(4).targets(n, k, 0, -100);
        float[] out = new float[n * k];
        float[] grad = new float[n * k];
        float[] firstGrad = null;
        int warm = 20_000;
        int mid = 60_000;
        ProcessMemory.Windows memory = new ProcessMemory.Windows();
        long t0 = 0;
        try (Engine e = Engine.cpu()) {
            for (int c = 0; c < calls; c++) {
                if (c == warm) {
                    memory.read();
                    t0 = System.nanoTime();
                }
                if (c == mid) {
                    memory.read();
                }
                switch (c % 3) {
                    case 0 -> e.crossEntropyWithGradient(FloatMatrix.of(xs, n, k), Targets.hard(ts), XentOptions.DEFAULTS,
                            FloatMatrix.of(grad, n, k));
                    case 1 -> e.softmax(FloatMatrix.of(xs, n, k), FloatMatrix.of(out, n, k));
                    default -> e.softmaxBackward(FloatMatrix.of(out, n, k), FloatMatrix.of(xs, n, k), FloatMatrix.of(out, n, k));
                }
                if (c == 0) {
                    firstGrad = grad.clone();
                }
            }
        }
        double usPerCall = (System.nanoTime() - t0) / 1e3 / (calls - warm);
        memory.read();
        System.out.printf(Locale.ROOT, "lifecycle: %d calls on one CPU engine, %.1f us/call; %s%n", calls, usPerCall, memory);
        Compare.assertSameBits("the last gradient", firstGrad, grad);
        assertThat(memory.quietestGrowthKib()).as("growth outside the heap in the quieter window, KiB (%s)", memory)
                .isLessThan(WINDOW_SLACK_KIB);
    }

    /** Makes engines that use their worker threads and drops them without closing them. */
    private void dropEngines(int count) {
        float[] grad = new float[N * K];
        for (int i = 0; i < count; i++) {
            cycleCall(Engine.cpu(), grad);
        }
    }

    @Test
    void enginesDroppedWithoutCloseHaveTheirThreadsStoppedByTheCleaner() {
        long workers0 = ProcessMemory.cpuWorkers();
        dropEngines(300);
        long leaked = ProcessMemory.cpuWorkers() - workers0;
        boolean released = ProcessMemory.gcUntil(() -> ProcessMemory.cpuWorkers() <= workers0, 30);
        System.out.printf(Locale.ROOT, "lifecycle: 300 unclosed CPU engines: %d worker threads alive before GC, %d after%n",
                leaked, ProcessMemory.cpuWorkers() - workers0);
        assertThat(released).as("the cleaner stopped the worker threads of unreachable engines").isTrue();
    }

    /**
     * Threads call engines they hold only in a local variable while another thread runs the
     * garbage collector: an engine can become unreachable during a call, but the cleaner must not
     * release it before the call returns (the calls' results stay right and nothing throws).
     */
    @Test
    void theCleanerNeverReleasesAnEngineUnderACallInFlight() throws InterruptedException {
        long workers0 = ProcessMemory.cpuWorkers();
        float[] want = cycleCall(Engine.cpu(), new float[N * K]);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread gc = new Thread(() -> {
            while (!stop.get()) {
                System.gc();
            }
        });
        gc.start();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread th = new Thread(() -> {
                float[] grad = new float[N * K];
                long end = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < end) {
                    AtomicReference<Engine> holder = new AtomicReference<>(Engine.cpu());
                    try {
                        cycleCall(holder.getAndSet(null), grad);    // the call holds the only reference
                        if (Float.floatToRawIntBits(grad[7]) != Float.floatToRawIntBits(want[7])) {
                            throw new AssertionError("a wrong gradient");
                        }
                        calls.incrementAndGet();
                    } catch (Throwable e) {
                        errors.add(e);
                        return;
                    }
                }
            });
            callers.add(th);
            th.start();
        }
        for (Thread th : callers) {
            th.join();
        }
        stop.set(true);
        gc.join();
        System.out.printf(Locale.ROOT, "lifecycle: %d calls on engines collectable during the call, under GC pressure%n",
                calls.get());
        assertThat(errors).isEmpty();
        assertThat(calls.get()).isPositive();
        assertThat(ProcessMemory.gcUntil(() -> ProcessMemory.cpuWorkers() <= workers0, 30)).isTrue();
    }
}
