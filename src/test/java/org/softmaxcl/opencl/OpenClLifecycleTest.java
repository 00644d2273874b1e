package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.ProcessMemory;

/**
 * Resources of OpenCL engines: create/compute/close cycles and 10⁵ calls on one engine leave
 * {@link ClObjects#live()} exactly flat and the resident memory outside the Java heap flat (a
 * generous bound on the quieter of two windows after warm-up, {@link ProcessMemory.Windows});
 * engines dropped without {@link Engine#close()} are released by the cleaner, and engines closed
 * and then collected are not released twice (the live count would drop below its start).
 *
 * <p>An OpenCL engine cycle (a context, a queue, the warm-up kernel from the binary cache, 3 calls,
 * the releases) costs about 12 ms on PoCL on 2 shared cores with warm binary caches, and 0.1 to
 * 0.3 s when PoCL compiles, so 10⁴ cycles would take 2 minutes to an hour: the cycle test runs for
 * {@value #CYCLE_SECONDS} s (system property {@code softmaxcl.test.clCycleSeconds}), at least
 * {@value #MIN_CYCLES} cycles, and prints how many it made and their cost.
 */
@Tag("opencl")
class OpenClLifecycleTest {
    static final int CYCLE_SECONDS = 60;
    static final int MIN_CYCLES = 50;
    static final long RSS_SLACK_KIB = 64 * 1024;
    static final int N = 16;
    static final int K = 100;

    private final float[] x = new Data(1).logits(N, K, 3);
    private final int[] t = new Data(2).targets(N, K, 0.1, -100);

    /** A cross-entropy, a softmax and a backward call. */
    private float[] calls(Engine e) {
        float[] grad = new float[N * K];
        float[] p = new float[N * K];
        e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(t), XentOptions.DEFAULTS, FloatMatrix.of(grad, N, K));
        e.softmax(FloatMatrix.of(x, N, K), FloatMatrix.of(p, N, K));
        e.softmaxBackward(FloatMatrix.of(p, N, K), FloatMatrix.of(grad, N, K), FloatMatrix.of(p, N, K));
        return p;
    }

    @Test
    void createComputeCloseCyclesLeaveEveryOpenClObjectReleasedAndMemoryFlat() {
        double seconds = Double.parseDouble(System.getProperty("softmaxcl.test.clCycleSeconds", "" + CYCLE_SECONDS));
        long live0 = ClObjects.live();
        float[] first;
        try (Engine e = Engine.openCl()) {
            first = calls(e);
        }
        int warm = 10;
        ProcessMemory.Windows memory = new ProcessMemory.Windows();
        long t0 = 0;
        long mid = Long.MAX_VALUE;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int cycles = 0;
        while (cycles < MIN_CYCLES + warm || System.nanoTime() < end) {
            if (cycles == warm) {
                memory.read();
                t0 = System.nanoTime();
                mid = t0 + (end - t0) / 2;
            }
            if (cycles > warm && System.nanoTime() > mid) {     // once, half-way through the timed cycles
                memory.read();
                mid = Long.MAX_VALUE;
            }
            float[] got;
            try (Engine e = Engine.openCl()) {
                got = calls(e);
            }
            assertThat(ClObjects.live()).as("after cycle %d: %s", cycles, ClObjects.describe()).isEqualTo(live0);
            if (cycles % 50 == 0) {
                Compare.assertSameBits("cycle " + cycles, first, got);
            }
            cycles++;
        }
        double msPerCycle = (System.nanoTime() - t0) / 1e6 / (cycles - warm);
        memory.read();
        System.out.printf(Locale.ROOT, "lifecycle: %d OpenCL engine cycles in %.0f s, %.1f ms/cycle (10^4 would take %.0f s); %s%n",
                cycles, (System.nanoTime() - t0) / 1e9, msPerCycle, msPerCycle * 10, memory);
        assertThat(memory.quietestGrowthKib()).as("growth outside the heap in the quieter window, KiB (%s)", memory)
                .isLessThan(RSS_SLACK_KIB);
    }

    @Test
    void aHundredThousandCallsOnOneEngineKeepTheObjectCountAndMemoryFlat() {
        int calls = 100_000;
        int warm = calls * 3 / 10;     // PoCL's and the JIT's own memory settles within the first ~30000 calls
        int n = 4;
        int k = 32;
        float[] xs = new Data(3).logits(n, k, 2);
        int[] ts = new Data(4).targets(n, k, 0, -100);
        float[] out = new float[n * k];
        float[] grad = new float[n * k];
        float[] firstGrad = null;
        int mid = (warm + calls) / 2;
        ProcessMemory.Windows memory = new ProcessMemory.Windows();
        long liveWarm = 0;
        long t0 = 0;
        try (Engine e = Engine.openCl()) {
            for (int c = 0; c < calls; c++) {
                if (c == warm) {
                    memory.read();
                    liveWarm = ClObjects.live();
                    t0 = System.nanoTime();
                }
                if (c == mid) {
                    memory.read();
                }
                if (c > warm && c % 10_000 == 0) {
                    assertThat(ClObjects.live()).as("after %d calls: %s", c, ClObjects.describe()).isEqualTo(liveWarm);
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
            assertThat(ClObjects.live()).isEqualTo(liveWarm);
        }
        double usPerCall = (System.nanoTime() - t0) / 1e3 / (calls - warm);
        memory.read();
        System.out.printf(Locale.ROOT, "lifecycle: %d calls on one OpenCL engine, %.1f us/call; %s%n", calls, usPerCall, memory);
        Compare.assertSameBits("the last gradient", firstGrad, grad);
        assertThat(memory.quietestGrowthKib()).as("growth outside the heap in the quieter window, KiB (%s)", memory)
                .isLessThan(RSS_SLACK_KIB);
    }

    /** Opens engines, uses them and drops them; closes them first when {@code close}. */
    private void dropEngines(int count, boolean close) {
        for (int i = 0; i < count; i++) {
            Engine e = Engine.openCl();
            calls(e);
            if (close) {
                e.close();
            }
        }
    }

    @Test
    void enginesDroppedWithoutCloseAreReleasedByTheCleanerAndClosedOnesNotTwice() {
        long live0 = ClObjects.live();
        dropEngines(12, false);
        long held = ClObjects.live() - live0;
        assertThat(held).as("unclosed engines hold OpenCL objects until collected").isPositive();
        boolean released = ProcessMemory.gcUntil(() -> ClObjects.live() == live0, 30);
        System.out.printf(Locale.ROOT, "lifecycle: 12 unclosed OpenCL engines held %d OpenCL objects; %d after GC%n",
                held, ClObjects.live() - live0);
        assertThat(released).as("the cleaner released them: %s", ClObjects.describe()).isTrue();

        dropEngines(12, true);
        ProcessMemory.gc();
        ProcessMemory.gc();
        assertThat(ClObjects.live()).as("closed engines, collected: nothing released twice").isEqualTo(live0);
    }
}
