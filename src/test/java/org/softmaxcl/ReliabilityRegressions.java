package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * One test per bug the reliability work found, on every backend of the subclass (each also shows
 * up in the fuzz tests, seeded; these keep it in one place and make it plain):
 * <ul>
 *   <li>row statistics take the first largest raw logit, also where the soft-cap saturates z;</li>
 *   <li>a zero target coefficient on a masked target counts 0 (not 0·∞ = NaN), also on the
 *       small-K CPU path;</li>
 *   <li>a loss-only call under a soft-cap refuses +∞ and −∞ rows (the soft-cap makes their lse
 *       finite);</li>
 *   <li>an empty mean (weighted count 0) with z-loss: loss 0 and a zero gradient;</li>
 *   <li>heap buffers without an accessible array are read and written like arrays.</li>
 * </ul>
 */
abstract class ReliabilityRegressions {

    /** The engines under test. */
    abstract List<Engine> engines();

    Stream<Engine> engineStream() {
        return engines().stream();
    }

    @ParameterizedTest(autoCloseArguments = false)  // the engines are shared
    @MethodSource("engineStream")
    void statisticsTakeTheLargestRawLogitWhereTheSoftcapSaturates(Engine e) {
        // c = 10: every logit ≥ 1e3 gives z = 10 exactly in float32, so z ties and x does not.
        float[] x = {1e3f, 3e4f, 2e4f, -5f, 1e4f, 2e4f, 2e4f, -7f};
        int[] t = {1, 2};
        XentOptions o = XentOptions.builder().softcap(10f).rowStats(true).build();
        RowStats s = e.crossEntropy(FloatMatrix.of(x, 2, 4), Targets.hard(t), o).stats();
        assertThat(s.argmax()).containsExactly(1, 1);
        assertThat(s.max()).containsExactly(3e4f, 2e4f);
        assertThat(s.hit()).containsExactly(true, false);
    }

    @ParameterizedTest(autoCloseArguments = false)  // the engines are shared
    @MethodSource("engineStream")
    void aZeroTargetCoefficientOnAMaskedTargetCountsZero(Engine e) {
        // 16 rows (the small-K CPU path works on groups of rows), each [1, -inf, 2] with target 1.
        int n = 16;
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = new float[3 * n];
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            x[3 * i] = 1f;
            x[3 * i + 1] = ninf;
            x[3 * i + 2] = 2f;
            t[i] = 1;
        }
        // Class weight 0 on the masked target, no smoothing: loss 0 and a finite gradient.
        XentOptions weighted = XentOptions.builder().reduction(Reduction.NONE).classWeights(new float[] {1, 0, 1}).build();
        float[] grad = new float[3 * n];
        XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, n, 3), Targets.hard(t), weighted, FloatMatrix.of(grad, n, 3));
        assertThat(r.rowLosses()).containsOnly(0f);
        for (float g : grad) {
            assertThat(g).isFinite();
        }
        assertThat(e.crossEntropy(FloatMatrix.of(x, n, 3), Targets.hard(t), weighted).rowLosses()).containsOnly(0f);
        // Smoothing 1: the target's own coefficient is 0, the smoothing mass on the masked class makes it +inf.
        XentOptions smoothed = XentOptions.builder().reduction(Reduction.NONE).labelSmoothing(1f).build();
        XentResult s = e.crossEntropy(FloatMatrix.of(x, n, 3), Targets.hard(t), smoothed);
        assertThat(s.rowLosses()).containsOnly(Float.POSITIVE_INFINITY);
    }

    /** A soft-cap maps ±∞ to finite z (±c): a loss-only call must still refuse +∞ and rows of −∞. */
    @ParameterizedTest(autoCloseArguments = false)  // the engines are shared
    @MethodSource("engineStream")
    void aLossOnlyCallUnderASoftcapRefusesInfiniteLogits(Engine e) {
        XentOptions o = XentOptions.builder().softcap(5f).build();
        float[] plus = new Data(6).logits(4, 5, 2);
        plus[2 * 5 + 3] = Float.POSITIVE_INFINITY;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.crossEntropy(FloatMatrix.of(plus, 4, 5),
                Targets.hard(new int[] {0, 1, 2, 3}), o)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logits[2, 3] = Infinity");
        float[] minus = new Data(7).logits(4, 5, 2);
        java.util.Arrays.fill(minus, 5, 10, Float.NEGATIVE_INFINITY);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> e.crossEntropy(FloatMatrix.of(minus, 4, 5),
                Targets.hard(new int[] {0, 1, 2, 3}), o)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logits row 1: every one of its 5 values is -Infinity");
    }

    @ParameterizedTest(autoCloseArguments = false)  // the engines are shared
    @MethodSource("engineStream")
    void anEmptyMeanWithZLossIsZeroWithAZeroGradient(Engine e) {
        float[] x = new Data(4).logits(3, 5, 2);
        int[] t = {2, 2, -100};
        for (EmptyMeanPolicy p : new EmptyMeanPolicy[] {EmptyMeanPolicy.ZERO, EmptyMeanPolicy.NAN}) {
            XentOptions o = XentOptions.builder().classWeights(new float[] {1, 1, 0, 1, 1}).zLoss(0.1f).emptyMean(p).build();
            float[] grad = new float[15];
            XentResult r = e.crossEntropyWithGradient(FloatMatrix.of(x, 3, 5), Targets.hard(t), o, FloatMatrix.of(grad, 3, 5));
            assertThat(r.denominator()).isZero();
            if (p == EmptyMeanPolicy.ZERO) {
                assertThat(r.loss()).isZero();
            } else {
                assertThat(r.loss()).isNaN();
            }
            assertThat(grad).containsOnly(0f);
        }
    }

    @ParameterizedTest(autoCloseArguments = false)  // the engines are shared
    @MethodSource("engineStream")
    void heapBuffersWithoutAnAccessibleArrayWorkLikeArrays(Engine e) {
        int n = 3;
        int k = 6;
        float[] x = new Data(5).logits(n, k, 2);
        float[] want = new float[n * k];
        e.logSoftmax(FloatMatrix.of(x, n, k), FloatMatrix.of(want, n, k));
        FloatBuffer readOnly = FloatBuffer.wrap(x.clone()).asReadOnlyBuffer();      // no accessible array
        FloatBuffer view = ByteBuffer.allocate(4 * (n * k + 2)).asFloatBuffer();    // a view, big-endian, no array
        view.position(2);
        e.logSoftmax(FloatMatrix.of(readOnly, n, k), FloatMatrix.of(view, n, k));
        float[] got = new float[n * k];
        for (int i = 0; i < got.length; i++) {
            got[i] = view.get(2 + i);
        }
        Compare.assertSameBits("log-softmax through heap buffer views", want, got);
        assertThat(view.get(0)).isZero();
        assertThat(view.get(1)).isZero();
        assertThat(view.position()).isEqualTo(2);
    }
}
