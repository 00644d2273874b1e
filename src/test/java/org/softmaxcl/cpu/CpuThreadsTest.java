package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Reduction;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * The CPU backend gives the same bits on 1 and 2 threads (rows are split statically, the loss is
 * reduced in row order), for the scalar kernels and the default path, on a 300 × 200 problem
 * (above the parallel threshold) and one of 4097 × 10.
 */
class CpuThreadsTest {

    private static void assertSameOnOneAndTwoThreads(boolean scalar, int n, int k) {
        Data d = new Data(n * 31L + k);
        float[] x = d.logits(n, k, 3);
        int[] t = d.targets(n, k, 0.1, -100);
        float[] y = d.softTargets(n, k);
        XentOptions o = XentOptions.builder().labelSmoothing(0.05f).zLoss(1e-3f).rowStats(true)
                .reduction(Reduction.MEAN).build();
        float[][] grads = new float[2][];
        float[][] soft = new float[2][];
        float[][] probs = new float[2][];
        XentResult[] results = new XentResult[2];
        for (int threads = 1; threads <= 2; threads++) {
            try (Engine e = Engine.over(scalar ? CpuBackend.scalar(threads, "test") : new CpuBackend(threads, "test"))) {
                float[] g = new float[n * k];
                results[threads - 1] = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o, FloatMatrix.of(g, n, k));
                grads[threads - 1] = g;
                float[] gs = new float[n * k];
                e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.soft(FloatMatrix.of(y, n, k)), o, FloatMatrix.of(gs, n, k));
                soft[threads - 1] = gs;
                probs[threads - 1] = e.softmax(x, n, k);
            }
        }
        String what = (scalar ? "scalar" : "default") + " " + n + "x" + k + " 1 vs 2 threads";
        assertThat(Double.doubleToRawLongBits(results[1].loss())).as(what + " loss")
                .isEqualTo(Double.doubleToRawLongBits(results[0].loss()));
        Compare.assertSameBits(what + " row losses", results[0].rowLosses(), results[1].rowLosses());
        Compare.assertSameStats(what, results[0].stats(), results[1].stats());
        Compare.assertSameBits(what + " grad", grads[0], grads[1]);
        Compare.assertSameBits(what + " soft grad", soft[0], soft[1]);
        Compare.assertSameBits(what + " softmax", probs[0], probs[1]);
    }

    @Test
    void scalarKernelsAreIdenticalOnOneAndTwoThreads() {
        assertSameOnOneAndTwoThreads(true, 300, 200);
        assertSameOnOneAndTwoThreads(true, 4097, 10);
    }

    @Test
    void defaultKernelsAreIdenticalOnOneAndTwoThreads() {
        assertSameOnOneAndTwoThreads(false, 300, 200);
        assertSameOnOneAndTwoThreads(false, 4097, 10);
    }
}
