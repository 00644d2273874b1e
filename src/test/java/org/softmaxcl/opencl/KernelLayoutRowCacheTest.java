package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.softmaxcl.testing.SystemProperties;

/**
 * {@link KernelLayout#rowCache}: which rows the V1 and V2 cross-entropy kernels keep in registers,
 * and how many floats (V1) or quads (V2) per work-item; V1's off by default, V2's on for GPUs; none for
 * other layouts; and the cache dropped where the device cannot run the cached kernel's work-group.
 */
class KernelLayoutRowCacheTest {
    @Test
    void v1KeepsRowsUpTo8192FloatsInAPowerOfTwoOfRegistersPerWorkItem() {
        withCache("true", () -> {
            KernelLayout v1x64 = KernelLayout.parse("v1:64");
            assertThat(v1x64.rowCache(1, true)).isEqualTo(1);
            assertThat(v1x64.rowCache(64, true)).isEqualTo(1);
            assertThat(v1x64.rowCache(65, true)).isEqualTo(2);
            assertThat(v1x64.rowCache(100, true)).isEqualTo(2);
            assertThat(v1x64.rowCache(1000, true)).isEqualTo(16);
            assertThat(v1x64.rowCache(2048, true)).isEqualTo(32);
            assertThat(v1x64.rowCache(2049, true)).as("more than 32 floats per work-item").isZero();
            KernelLayout v1x256 = KernelLayout.parse("v1:256");
            assertThat(v1x256.rowCache(8192, true)).isEqualTo(32);
            assertThat(v1x256.rowCache(8193, true)).isZero();
            KernelLayout v1x1024 = KernelLayout.parse("v1:1024");
            assertThat(v1x1024.rowCache(4096, true)).isEqualTo(4);
            assertThat(v1x1024.rowCache(8192, true)).isEqualTo(8);
            assertThat(v1x1024.rowCache(8193, true)).as("more than 8192 floats per work-group").isZero();
            assertThat(KernelLayout.parse("v0:64").rowCache(100, true)).isZero();
            assertThat(KernelLayout.parse("v0v:8:8").rowCache(100, true)).isZero();
            assertThat(KernelLayout.parse("v3:64:4").rowCache(100, true)).isZero();
        });
    }

    @Test
    void v2WithItsRowInRegistersBuildsWithTheRowLengthAsAConstant() {
        KernelLayout v2 = KernelLayout.parse("v2:256");
        SystemProperties.with(KernelLayout.FIXED_K_PROPERTY, null, () -> {
            assertThat(v2.fixedKMacro(4096, 4)).isEqualTo(" -DFIXED_K=4096");
            assertThat(v2.fixedKMacro(40000, 0)).as("uncached").isEmpty();
            assertThat(KernelLayout.parse("v1:256").fixedKMacro(4096, 16)).as("V1").isEmpty();
        });
        SystemProperties.with(KernelLayout.FIXED_K_PROPERTY, "false", () -> assertThat(v2.fixedKMacro(4096, 4)).isEmpty());
        SystemProperties.with(KernelLayout.FIXED_K_PROPERTY, "true", () -> {
            assertThat(v2.fixedKMacro(40000, 0)).isEqualTo(" -DFIXED_K=40000");
            assertThat(KernelLayout.parse("v1:64").fixedKMacro(100, 0)).isEqualTo(" -DFIXED_K=100");
            assertThat(KernelLayout.parse("v3:64:4").fixedKMacro(100, 0)).as("V3 reads K at run time").isEmpty();
            assertThat(KernelLayout.parse("v0v:8:8").fixedKMacro(100, 0)).isEmpty();
        });
    }

    @Test
    void v2WithItsRowInRegistersTakesTheLeanFormUnlessTurnedOff() {
        KernelLayout v2 = KernelLayout.parse("v2:256");
        SystemProperties.with(KernelLayout.LEAN_PROPERTY, null, () -> {
            assertThat(v2.leanMacro(4)).isEqualTo(" -DLEAN=1");
            assertThat(v2.leanMacro(0)).as("uncached").isEmpty();
            assertThat(KernelLayout.parse("v1:256").leanMacro(16)).as("V1 cached").isEmpty();
        });
        SystemProperties.with(KernelLayout.LEAN_PROPERTY, "false", () -> assertThat(v2.leanMacro(4)).isEmpty());
        SystemProperties.with(KernelLayout.LEAN_PROPERTY, "true", () -> {
            assertThat(v2.leanMacro(4)).isEqualTo(" -DLEAN=1");
            assertThat(v2.leanMacro(0)).as("only a cached row has the lean form").isEmpty();
        });
    }

    @Test
    void v2sSoftmaxKeepsItsRowOnlyWhenAskedAndWhenItFits() {
        KernelLayout v2 = KernelLayout.parse("v2:256");
        SystemProperties.with(KernelLayout.SOFTMAX_CACHE_PROPERTY, null, () -> assertThat(v2.softmaxCacheMacros(4096)).isEmpty());
        SystemProperties.with(KernelLayout.SOFTMAX_CACHE_PROPERTY, "false", () -> assertThat(v2.softmaxCacheMacros(4096)).isEmpty());
        SystemProperties.with(KernelLayout.SOFTMAX_CACHE_PROPERTY, "true", () -> {
            assertThat(v2.softmaxCacheMacros(4096)).isEqualTo(" -DROW_CACHE=4 -DLEAN=1 -DFIXED_K=4096");
            assertThat(v2.softmaxCacheMacros(1)).isEqualTo(" -DROW_CACHE=1 -DLEAN=1 -DFIXED_K=1");
            assertThat(v2.softmaxCacheMacros(8192)).isEqualTo(" -DROW_CACHE=8 -DLEAN=1 -DFIXED_K=8192");
            assertThat(v2.softmaxCacheMacros(8193)).as("9 quads per work-item").isEmpty();
            assertThat(KernelLayout.parse("v2:256:2").softmaxCacheMacros(4096)).as("rows per group").isEmpty();
            assertThat(KernelLayout.parse("v1:256").softmaxCacheMacros(4096)).as("V1").isEmpty();
            assertThat(KernelLayout.parse("v0v:8:8").softmaxCacheMacros(64)).isEmpty();
        });
    }

    @Test
    void v2KeepsUpTo8QuadsPerWorkItem() {
        withCache("true", () -> {
            KernelLayout v2x32 = KernelLayout.parse("v2:32");
            assertThat(v2x32.rowCache(1, true)).isEqualTo(1);
            assertThat(v2x32.rowCache(128, true)).isEqualTo(1);
            assertThat(v2x32.rowCache(129, true)).isEqualTo(2);
            assertThat(v2x32.rowCache(1000, true)).isEqualTo(8);
            assertThat(v2x32.rowCache(1024, true)).isEqualTo(8);
            assertThat(v2x32.rowCache(1025, true)).as("more than 8 quads per work-item").isZero();
            KernelLayout v2x256 = KernelLayout.parse("v2:256");
            assertThat(v2x256.rowCache(4096, true)).isEqualTo(4);
            assertThat(v2x256.rowCache(8192, true)).isEqualTo(8);
            assertThat(v2x256.rowCache(8193, true)).isZero();
            assertThat(KernelLayout.parse("v2:1024").rowCache(32768, true)).isEqualTo(8);
        });
        withCache(null, () -> assertThat(KernelLayout.parse("v2:256").rowCache(4096, true)).as("on by default on a GPU").isEqualTo(4));
        withCache(null, () -> assertThat(KernelLayout.parse("v2:256").rowCache(4096, false)).as("off by default elsewhere").isZero());
        withCache("true", () -> assertThat(KernelLayout.parse("v2:256").rowCache(4096, false)).as("asked for on a CPU device").isEqualTo(4));
        withCache("false", () -> assertThat(KernelLayout.parse("v2:256").rowCache(4096, true)).isZero());
    }

    @Test
    void aCachedKernelTheDeviceCannotRunWithTheLayoutsWorkGroupDropsTheCache() {
        String opts = "-DWG_PER_ROW=1 -DWGS=1024 -DQUADS=1 -DONE_PASS=0 -DROW_CACHE=8 -DSOFT=0";
        assertThat(ClRuntime.withoutRowCacheAbove(opts, 1024, 1024)).isEqualTo(opts);
        assertThat(ClRuntime.withoutRowCacheAbove(opts, 4096, 1024)).isEqualTo(opts);
        assertThat(ClRuntime.withoutRowCacheAbove(opts, 640, 1024))
                .isEqualTo("-DWG_PER_ROW=1 -DWGS=1024 -DQUADS=1 -DONE_PASS=0 -DROW_CACHE=0 -DSOFT=0");
    }

    @Test
    void offByDefaultAndWithAnyOtherValue() {
        withCache(null, () -> assertThat(KernelLayout.parse("v1:64").rowCache(100, true)).isZero());
        withCache("false", () -> assertThat(KernelLayout.parse("v1:64").rowCache(100, true)).isZero());
        withCache("yes", () -> assertThat(KernelLayout.parse("v1:64").rowCache(100, true)).isZero());
    }

    private static void withCache(String value, Runnable check) {
        SystemProperties.with(KernelLayout.ROW_CACHE_PROPERTY, value, check);
    }
}
