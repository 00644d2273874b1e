package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Data;

/**
 * Device-resident matrices: the same results as the host path (the gradient bit for bit, the loss
 * reduced on the device to float32 rounding), logits uploaded once, the gradient written only
 * when every row passes, and the matrices released with their engine.
 */
abstract class DeviceMatrices extends BackendTest {
    private static final int N = 29;
    private static final int K = 67;

    private static XentOptions[] options() {
        return new XentOptions[] {XentOptions.DEFAULTS,
                XentOptions.builder().labelSmoothing(0.1f).zLoss(1e-3f).reduction(Reduction.SUM).build(),
                XentOptions.builder().sampleWeights(weights()).temperature(1.7f).build(),
                XentOptions.builder().reduction(Reduction.NONE).rowStats(true).build()};
    }

    private static float[] weights() {
        float[] s = new float[N];
        for (int i = 0; i < N; i++) {
            s[i] = 0.25f + (i % 4);
        }
        return s;
    }

    private static int[] targets() {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            t[i] = i % 5 == 3 ? -100 : (i * 7) % K;
        }
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void crossEntropyOnDeviceMatchesTheHostPath(Backends backend) {
        Engine e = backend.engine();
        float[] x = new Data(11).logits(N, K, 3);
        for (XentOptions o : options()) {
            float[] hostGrad = new float[N * K];
            XentResult host = e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(targets()), o,
                    FloatMatrix.of(hostGrad, N, K));
            float[] mutable = x.clone();
            try (DeviceMatrix dx = e.upload(FloatMatrix.of(mutable, N, K)); DeviceMatrix dg = e.allocate(N, K)) {
                assertThat(dx.onDevice()).isEqualTo(backend.isOpenCl());
                Arrays.fill(mutable, 1e9f);   // the device copy is what counts now
                if (backend.isOpenCl()) {
                    XentResult dev = e.crossEntropyWithGradient(dx, Targets.hard(targets()), o, dg);
                    assertThat(dg.toArray()).as("%s gradient %s", backend, o).containsExactly(hostGrad);
                    assertThat(dev.loss()).as("%s loss %s", backend, o)
                            .isCloseTo(host.loss(), Offset.offset(2e-6 * Math.max(1, Math.abs(host.loss()))));
                    assertThat(dev.countedRows()).isEqualTo(host.countedRows());
                    if (o.rowStats()) {
                        assertThat(dev.stats().argmax()).containsExactly(host.stats().argmax());
                        assertThat(dev.rowLosses()).containsExactly(host.rowLosses());
                    }
                    // In place on the device: the logits become the gradient.
                    e.crossEntropyWithGradient(dx, Targets.hard(targets()), o, dx);
                    assertThat(dx.toArray()).containsExactly(hostGrad);
                } else {
                    XentResult dev = e.crossEntropyWithGradient(dx, Targets.hard(targets()), o, dg);
                    assertThat(dg.toArray()).containsExactly(hostGrad);
                    assertThat(dev.loss()).isEqualTo(host.loss());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxOnDeviceMatchesTheHostPath(Backends backend) {
        Engine e = backend.engine();
        float[] x = new Data(12).logits(N, K, 2);
        float[] p = e.softmax(x, N, K);
        float[] lp = new float[N * K];
        e.logSoftmax(FloatMatrix.of(x, N, K), FloatMatrix.of(lp, N, K));
        try (DeviceMatrix d = e.upload(FloatMatrix.of(x, N, K)); DeviceMatrix out = e.allocate(N, K)) {
            e.softmax(d, out, SoftmaxOptions.DEFAULTS);
            assertThat(out.toArray()).containsExactly(p);
            e.logSoftmax(d, d, SoftmaxOptions.DEFAULTS);
            assertThat(d.toArray()).containsExactly(lp);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aRefusedRowLeavesTheDeviceGradientAsItWas(Backends backend) {
        Engine e = backend.engine();
        float[] x = new Data(13).logits(N, K, 2);
        x[5 * K + 9] = Float.NaN;
        float[] before = new float[N * K];
        Arrays.fill(before, 7.5f);
        try (DeviceMatrix dx = e.upload(FloatMatrix.of(x, N, K)); DeviceMatrix dg = e.upload(FloatMatrix.of(before, N, K))) {
            assertThatThrownBy(() -> e.crossEntropyWithGradient(dx, Targets.hard(targets()), XentOptions.DEFAULTS, dg))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[5, 9] = NaN");
            assertThat(dg.toArray()).containsExactly(before);
            assertThatThrownBy(() -> e.crossEntropyWithGradient(dx, Targets.hard(targets()), XentOptions.DEFAULTS, dx))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[5, 9] = NaN");
            assertThat(dx.toArray()).containsExactly(x);
            assertThatThrownBy(() -> e.softmax(dx, dg, SoftmaxOptions.DEFAULTS)).hasMessageContaining("logits[5, 9] = NaN");
            assertThat(dg.toArray()).containsExactly(before);
        }
    }

    /**
     * Enough rows that the device reduces the loss in many blocks (xent_reduce.cl): the loss still
     * matches the host path, repeats bit for bit, and the first flagged row wins across blocks.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void manyRowsReduceAcrossBlocksAndReportTheFirstBadRow(Backends backend) {
        Engine e = backend.engine();
        int n = 70_001;
        int k = 3;
        float[] x = new Data(17).logits(n, k, 2);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i % 11 == 4 ? -100 : i % k;
        }
        XentOptions o = XentOptions.builder().zLoss(1e-3f).build();
        XentResult host = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), o,
                FloatMatrix.of(new float[n * k], n, k));
        try (DeviceMatrix dx = e.upload(FloatMatrix.of(x, n, k)); DeviceMatrix dg = e.allocate(n, k)) {
            XentResult dev = e.crossEntropyWithGradient(dx, Targets.hard(t), o, dg);
            assertThat(dev.loss()).isCloseTo(host.loss(), Offset.offset(2e-6 * Math.max(1, Math.abs(host.loss()))));
            XentResult again = e.crossEntropyWithGradient(dx, Targets.hard(t), o, dg);
            assertThat(Double.doubleToRawLongBits(again.loss())).isEqualTo(Double.doubleToRawLongBits(dev.loss()));
            float[] bad = x.clone();
            bad[66_000 * k + 1] = Float.NaN;
            bad[41_234 * k + 2] = Float.POSITIVE_INFINITY;
            dx.upload(FloatMatrix.of(bad, n, k));
            assertThatThrownBy(() -> e.crossEntropyWithGradient(dx, Targets.hard(t), o, dg))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[41234, 2] = Infinity");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void misuseIsRefusedClearly(Backends backend) {
        Engine e = backend.engine();
        DeviceMatrix d = e.allocate(3, 4);
        assertThat(d.toArray()).containsOnly(0f);
        assertThatThrownBy(() -> d.upload(FloatMatrix.of(new float[12], 4, 3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4x3").hasMessageContaining("3x4");
        try (DeviceMatrix other = e.allocate(3, 5)) {
            assertThatThrownBy(() -> e.crossEntropyWithGradient(d, Targets.hard(new int[] {0, 1, 2}), XentOptions.DEFAULTS, other))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grad is 3x5");
        }
        try (Engine another = Engine.cpu()) {
            assertThatThrownBy(() -> another.crossEntropy(d, Targets.hard(new int[] {0, 1, 2}), XentOptions.DEFAULTS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another engine");
        }
        d.close();
        d.close();
        assertThatThrownBy(d::toArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anEngineReleasesItsMatricesWhenItCloses(Backends backend) {
        long before = org.softmaxcl.opencl.ClObjects.live();
        DeviceMatrix left;
        try (Engine e = Engine.over(backend.newBackend())) {
            left = e.allocate(10, 10);
            e.allocate(20, 3);
        }
        assertThat(org.softmaxcl.opencl.ClObjects.live()).isEqualTo(before);
        assertThatThrownBy(left::toArray).isInstanceOf(IllegalStateException.class);
        left.close();
    }
}
