package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.SoftmaxOptions;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * The CPU backend gives the same bits on 1, 2 and 3 threads (a row's result depends on the row
 * alone, chunks of small K start where the lane kernels' groups do, the loss is reduced in a fixed
 * order), for the scalar kernels and the default path, on a 300 × 200 problem (above the parallel
 * threshold), 4097 × 10, 5003 × 7 and 3001 × 40 (rows on vector lanes, batches that are not whole
 * groups) and 777 × 3000 (softmax reads each row's max during the row before).
 */
class CpuThreadsTest {

    private static void assertSameOnOneTwoAndThreeThreads(boolean scalar, int n, int k) {
        Data d = new Data(n * 31L + k);
        float[] x = d.logits(n, k, 3);
        int[] t = d.targets(n, k, 0.1, -100);
        float[] y = d.softTargets(n, k);
        XentOptions o = XentOptions.builder().labelSmoothing(0.05f).zLoss(1e-3f).rowStats(true)
                .reduction(Reduction.MEAN).build();
        float[][] grads = new float[3][];
        float[][] soft = new float[3][];
        float[][] probs = new float[3][];
        XentResult[] results = new XentResult[3];
        for (int threads = 1; threads <= 3; threads++) {
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
        for (int threads = 2; threads <= 3; threads++) {
            String what = (scalar ? "scalar" : "default") + " " + n + "x" + k + " 1 vs " + threads + " threads";
            XentResult r = results[threads - 1];
            assertThat(Double.doubleToRawLongBits(r.loss())).as(what + " loss")
                    .isEqualTo(Double.doubleToRawLongBits(results[0].loss()));
            Compare.assertSameBits(what + " row losses", results[0].rowLosses(), r.rowLosses());
            Compare.assertSameStats(what, results[0].stats(), r.stats());
            Compare.assertSameBits(what + " grad", grads[0], grads[threads - 1]);
            Compare.assertSameBits(what + " soft grad", soft[0], soft[threads - 1]);
            Compare.assertSameBits(what + " softmax", probs[0], probs[threads - 1]);
        }
    }

    @Test
    void scalarKernelsAreIdenticalOnOneTwoAndThreeThreads() {
        assertSameOnOneTwoAndThreeThreads(true, 300, 200);
        assertSameOnOneTwoAndThreeThreads(true, 4097, 10);
        assertSameOnOneTwoAndThreeThreads(true, 5003, 7);
    }

    @Test
    void defaultKernelsAreIdenticalOnOneTwoAndThreeThreads() {
        assertSameOnOneTwoAndThreeThreads(false, 300, 200);
        assertSameOnOneTwoAndThreeThreads(false, 4097, 10);
        assertSameOnOneTwoAndThreeThreads(false, 5003, 7);
        assertSameOnOneTwoAndThreeThreads(false, 3001, 40);
        assertSameOnOneTwoAndThreeThreads(false, 777, 3000);
    }

    /**
     * The plain pass (hard targets, no options, PROPAGATE: no REFUSE maxima) reads each row's max
     * during the row before, across chunks too (the row a thread reserved next): the same bits on
     * 1, 2 and 3 threads (NaN payloads aside), with a NaN row, a +∞ row, an all −∞ row and rows whose max is ±0 where
     * chunks start (one row per chunk at K = 70000).
     */
    @Test
    void plainPassIsIdenticalOnOneTwoAndThreeThreadsWithRowsReadAheadAcrossChunks() {
        for (int[] shape : new int[][] {{9, 70000}, {40, 20000}, {300, 1000}}) {
            int n = shape[0];
            int k = shape[1];
            Data d = new Data(n * 7L + k);
            float[] x = d.logits(n, k, 3);
            int[] t = d.targets(n, k, 0, -100);
            java.util.Arrays.fill(x, 1 * k, 2 * k, -1f);
            x[1 * k + 5] = Float.NaN;
            x[2 * k + 7] = Float.POSITIVE_INFINITY;
            java.util.Arrays.fill(x, 3 * k, 4 * k, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(x, 4 * k, 5 * k, -3f);
            x[4 * k + 3] = -0f;
            x[4 * k + k - 2] = 0f;
            java.util.Arrays.fill(x, 5 * k, 6 * k, -0f);
            XentOptions o = XentOptions.builder().nonFinite(NonFinitePolicy.PROPAGATE).reduction(Reduction.NONE).build();
            SoftmaxOptions so = SoftmaxOptions.DEFAULTS.withNonFinite(NonFinitePolicy.PROPAGATE);
            float[][] grads = new float[3][];
            float[][] probs = new float[3][];
            XentResult[] results = new XentResult[3];
            for (int threads = 1; threads <= 3; threads++) {
                try (Engine e = Engine.over(new CpuBackend(threads, "test"))) {
                    float[] g = new float[n * k];
                    results[threads - 1] = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o,
                            FloatMatrix.of(g, n, k));
                    grads[threads - 1] = g;
                    float[] p = new float[n * k];
                    e.softmax(FloatMatrix.of(x, n, k), FloatMatrix.of(p, n, k), so);
                    probs[threads - 1] = p;
                }
            }
            for (int threads = 2; threads <= 3; threads++) {
                String what = "plain " + n + "x" + k + " 1 vs " + threads + " threads";
                // NaN rows: any NaN (x86's NaN payloads follow operand order and the JIT's code).
                Compare.assertSameValues(what + " row losses", results[0].rowLosses(), results[threads - 1].rowLosses());
                Compare.assertSameValues(what + " grad", grads[0], grads[threads - 1]);
                Compare.assertSameValues(what + " softmax", probs[0], probs[threads - 1]);
            }
            assertThat(results[0].rowLosses()[1]).as("NaN row").isNaN();
        }
    }
}
