package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Options refuse bad values when they are set, naming the option and the value; arrays are
 * copied (a later change of the caller's array changes nothing). Backend-independent.
 */
class OptionValidationTest {

    @Test
    void xentOptionsRefuseOutOfRangeValues() {
        assertThatThrownBy(() -> XentOptions.builder().labelSmoothing(1.5f)).hasMessageContaining("labelSmoothing").hasMessageContaining("1.5");
        assertThatThrownBy(() -> XentOptions.builder().labelSmoothing(Float.NaN)).hasMessageContaining("labelSmoothing");
        assertThatThrownBy(() -> XentOptions.builder().temperature(0f)).hasMessageContaining("temperature").hasMessageContaining("0.0");
        assertThatThrownBy(() -> XentOptions.builder().temperature(-1f)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> XentOptions.builder().temperature(Float.POSITIVE_INFINITY)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> XentOptions.builder().rowTemperatures(new float[] {1f, 0f})).hasMessageContaining("rowTemperatures[1]");
        assertThatThrownBy(() -> XentOptions.builder().classWeights(new float[] {1f, -2f})).hasMessageContaining("classWeights[1]").hasMessageContaining("-2.0");
        assertThatThrownBy(() -> XentOptions.builder().classWeights(new float[] {Float.NaN})).hasMessageContaining("classWeights[0]");
        assertThatThrownBy(() -> XentOptions.builder().sampleWeights(new float[] {1f, 1f, -1f})).hasMessageContaining("sampleWeights[2]");
        assertThatThrownBy(() -> XentOptions.builder().zLoss(-1e-3f)).hasMessageContaining("zLoss");
        assertThatThrownBy(() -> XentOptions.builder().softcap(0f)).hasMessageContaining("softcap");
        assertThatThrownBy(() -> XentOptions.builder().gradScale(Float.NaN)).hasMessageContaining("gradScale");
        assertThatThrownBy(() -> XentOptions.builder().rowGradScales(new float[] {Float.POSITIVE_INFINITY})).hasMessageContaining("rowGradScales[0]");
        assertThatThrownBy(() -> SoftmaxOptions.temperature(0f)).hasMessageContaining("temperature");
        for (Runnable r : new Runnable[] {
            () -> XentOptions.builder().labelSmoothing(-0.1f),
            () -> XentOptions.builder().zLoss(Float.NaN),
        }) {
            assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void optionArraysAreCopied() {
        float[] w = {1f, 2f};
        XentOptions o = XentOptions.builder().classWeights(w).build();
        w[0] = 100f;
        assertThat(o.classWeight(0)).isEqualTo(1f);
    }

    @Test
    void longTargetsMustFitAnInt() {
        assertThat(Targets.hard(new long[] {3L, -100L}).classes()).containsExactly(3, -100);
        assertThatThrownBy(() -> Targets.hard(new long[] {0L, 1L << 33})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("targets[1]");
    }

    @Test
    void classWeightSumIsKWithoutWeightsAndTheFloat64SumOfACopyWithThem() {
        assertThat(XentOptions.DEFAULTS.classWeightSum(262144)).isEqualTo(262144.0);
        float[] w = {0.5f, 2f, 1f, 0.1f};
        XentOptions o = XentOptions.builder().classWeights(w).build();
        double expected = 0;
        for (float c : w) {
            expected += c;
        }
        w[0] = 100f;    // the options hold a copy
        assertThat(o.classWeightSum(4)).isEqualTo(expected);
        assertThat(o.toBuilder().build().classWeightSum(4)).isEqualTo(expected);
    }
}
