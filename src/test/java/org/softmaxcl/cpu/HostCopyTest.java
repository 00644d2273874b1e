package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link HostCopy}: every chunk copied once over any thread count, nothing past the length touched, bad arguments refused. */
class HostCopyTest {
    @ParameterizedTest
    @CsvSource({"1,0", "1,1", "2,1", "2,524287", "2,524288", "3,1572869", "4,1048576"})
    void copiesExactlyTheFirstLengthFloats(int threads, int length) {
        float[] src = new float[length + 7];
        for (int i = 0; i < src.length; i++) {
            src[i] = i + 0.5f;
        }
        float[] dst = new float[length + 11];
        Arrays.fill(dst, -1f);
        try (HostCopy copy = new HostCopy(threads)) {
            assertThat(copy.threads()).isEqualTo(threads);
            copy.copy(src, dst, length);
        }
        for (int i = 0; i < length; i++) {
            if (dst[i] != src[i]) {
                throw new AssertionError("dst[" + i + "] = " + dst[i] + ", expected " + src[i]);
            }
        }
        for (int i = length; i < dst.length; i++) {
            assertThat(dst[i]).as("dst[%d] past the length", i).isEqualTo(-1f);
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsWritten() {
        float[] src = new float[10];
        float[] dst = new float[8];
        Arrays.fill(dst, 3f);
        try (HostCopy copy = new HostCopy(2)) {
            assertThatThrownBy(() -> copy.copy(src, dst, 9)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("length 9").hasMessageContaining("dst 8");
            assertThatThrownBy(() -> copy.copy(src, dst, -1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("length -1");
            assertThatThrownBy(() -> copy.copy(null, dst, 1)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("src");
            assertThatThrownBy(() -> copy.copy(src, null, 1)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("dst");
        }
        assertThat(dst).containsOnly(3f);
        assertThatThrownBy(() -> new HostCopy(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be >= 1, got 0");
    }

    @Test
    void aClosedCopyRefusesWork() {
        for (int threads : new int[] {1, 2}) {
            HostCopy copy = new HostCopy(threads);
            copy.close();
            copy.close();
            assertThatThrownBy(() -> copy.copy(new float[1], new float[1], 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }
}
