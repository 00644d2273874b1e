package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * A caller whose thread is interrupted still gets a complete, correct result from a call split
 * over worker threads, and keeps its interrupt status: the call never returns while a worker may
 * still write its outputs.
 */
class InterruptedCallerTest {
    @Test
    void anInterruptedCallerGetsTheWholeResultAndKeepsItsInterruptStatus() {
        int n = 512;
        int k = 700;     // 358400 elements: split over the workers
        float[] x = new Data(1).logits(n, k, 3);
        int[] t = new Data(2).targets(n, k, 0, -100);
        try (Engine e = Engine.over(new CpuBackend(4, "test"))) {
            float[] want = new float[n * k];
            e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), XentOptions.DEFAULTS, FloatMatrix.of(want, n, k));
            for (int i = 0; i < 20; i++) {
                float[] got = new float[n * k];
                Thread.currentThread().interrupt();
                e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), XentOptions.DEFAULTS, FloatMatrix.of(got, n, k));
                assertThat(Thread.interrupted()).as("the interrupt status is kept (and cleared here)").isTrue();
                Compare.assertSameBits("gradient of an interrupted caller", want, got);
            }
        }
    }
}
