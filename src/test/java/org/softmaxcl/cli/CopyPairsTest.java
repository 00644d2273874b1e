package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link CopyPairs}: the fraction of copy is the median of the pairs' ratios, not a ratio of medians. */
class CopyPairsTest {
    @Test
    void fractionIsTheMedianOfThePairsRatios() {
        // Ratios copy/call: 10/40 = 0.25, 30/20 = 1.5, 50/100 = 0.5 -> median 0.5; the ratio of the
        // medians would be 30/40 = 0.75.
        CopyPairs p = CopyPairs.of(new long[] {10, 30, 50}, new long[] {40, 20, 100}, 2);
        assertThat(p.ofCopy()).isEqualTo(0.5);
        assertThat(p.timing().medianNs()).isEqualTo(30);
        assertThat(p.threads()).isEqualTo(2);
    }

    @Test
    void evenCountTakesTheMeanOfTheMiddleTwo() {
        CopyPairs p = CopyPairs.of(new long[] {10, 20, 30, 40}, new long[] {10, 10, 10, 10}, 1);
        assertThat(p.ofCopy()).isEqualTo(2.5);
    }

    @Test
    void mismatchedLengthsAreRefused() {
        assertThatThrownBy(() -> CopyPairs.of(new long[] {1, 2}, new long[] {1}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 copies for 1 calls");
    }
}
