package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.softmaxcl.testing.SystemProperties;

/**
 * {@link KernelLayout#rowCache}: which rows the V1 cross-entropy keeps in registers, and how many
 * floats per work-item, when the cache is turned on; off by default and for other layouts.
 */
class KernelLayoutRowCacheTest {
    @Test
    void v1KeepsRowsUpTo8192FloatsInAPowerOfTwoOfRegistersPerWorkItem() {
        withCache("true", () -> {
            KernelLayout v1x64 = KernelLayout.parse("v1:64");
            assertThat(v1x64.rowCache(1)).isEqualTo(1);
            assertThat(v1x64.rowCache(64)).isEqualTo(1);
            assertThat(v1x64.rowCache(65)).isEqualTo(2);
            assertThat(v1x64.rowCache(100)).isEqualTo(2);
            assertThat(v1x64.rowCache(1000)).isEqualTo(16);
            assertThat(v1x64.rowCache(2048)).isEqualTo(32);
            assertThat(v1x64.rowCache(2049)).as("more than 32 floats per work-item").isZero();
            KernelLayout v1x256 = KernelLayout.parse("v1:256");
            assertThat(v1x256.rowCache(8192)).isEqualTo(32);
            assertThat(v1x256.rowCache(8193)).isZero();
            KernelLayout v1x1024 = KernelLayout.parse("v1:1024");
            assertThat(v1x1024.rowCache(4096)).isEqualTo(4);
            assertThat(v1x1024.rowCache(8192)).isEqualTo(8);
            assertThat(v1x1024.rowCache(8193)).as("more than 8192 floats per work-group").isZero();
            assertThat(KernelLayout.parse("v0:64").rowCache(100)).isZero();
            assertThat(KernelLayout.parse("v0v:8:8").rowCache(100)).isZero();
            assertThat(KernelLayout.parse("v3:64:4").rowCache(100)).isZero();
        });
    }

    @Test
    void offByDefaultAndWithAnyOtherValue() {
        withCache(null, () -> assertThat(KernelLayout.parse("v1:64").rowCache(100)).isZero());
        withCache("false", () -> assertThat(KernelLayout.parse("v1:64").rowCache(100)).isZero());
        withCache("yes", () -> assertThat(KernelLayout.parse("v1:64").rowCache(100)).isZero());
    }

    private static void withCache(String value, Runnable check) {
        SystemProperties.with(KernelLayout.ROW_CACHE_PROPERTY, value, check);
    }
}
