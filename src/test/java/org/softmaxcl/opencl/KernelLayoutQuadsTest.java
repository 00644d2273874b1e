package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.softmaxcl.testing.SystemProperties;

/** The host side of layout V2 (a work-group per row in quads of floats): parsing, macros, fitting. */
class KernelLayoutQuadsTest {
    private static DeviceInfo gpu(int maxWorkGroup) {
        return FakeDevices.of("GPU", "Some Vendor", "Some GPU", 100, maxWorkGroup);
    }

    @Test
    void v2ParsesPrintsAndBuildsWithTheQuadsMacro() {
        KernelLayout v2 = KernelLayout.parse("v2:256");
        assertThat(v2.quads()).isTrue();
        assertThat(v2.wgPerRow()).isTrue();
        assertThat(v2.vector()).as("V2 runs the row kernels' own file, not the V0v one").isFalse();
        assertThat(v2.toString()).isEqualTo("v2:256");
        assertThat(v2.macros()).contains("-DWG_PER_ROW=1", "-DWGS=256", "-DQUADS=1").doesNotContain("VECW");
        assertThat(v2.file("xent")).isEqualTo("xent.cl");
        assertThat(v2.kernel("xent")).isEqualTo("xent");
        assertThat(KernelLayout.parse("v2").wgs()).isEqualTo(128);
        assertThat(KernelLayout.parse("v1:256").quads()).isFalse();
        assertThat(KernelLayout.parse("v1:256").macros()).doesNotContain("QUADS");
        assertThat(KernelLayout.parse("v0v:4:64").quads()).isFalse();
    }

    @Test
    void v2KeepsItsRowCacheByDefaultOnGpusAndV1OnlyWhenAskedTo() {
        SystemProperties.with(KernelLayout.ROW_CACHE_PROPERTY, null, () -> {
            assertThat(KernelLayout.parse("v1:64").rowCache(1000, true)).isZero();
            assertThat(KernelLayout.parse("v2:64").rowCache(1000, true)).isEqualTo(4);
        });
        SystemProperties.with(KernelLayout.ROW_CACHE_PROPERTY, "true", () -> {
            assertThat(KernelLayout.parse("v1:64").rowCache(1000, true)).isPositive();
            assertThat(KernelLayout.parse("v2:64").rowCache(1000, true)).isEqualTo(4);
        });
        SystemProperties.with(KernelLayout.ROW_CACHE_PROPERTY, "false", () -> {
            assertThat(KernelLayout.parse("v1:64").rowCache(1000, true)).isZero();
            assertThat(KernelLayout.parse("v2:64").rowCache(1000, true)).isZero();
        });
    }

    @Test
    void v2HasNoMoreWorkItemsThanQuadsOfTheRow() {
        DeviceInfo d = gpu(1024);
        assertThat(KernelLayout.choose(d, 1000, KernelLayout.parse("v2:1024")).toString()).isEqualTo("v2:128");
        assertThat(KernelLayout.choose(d, 4096, KernelLayout.parse("v2:1024")).toString()).isEqualTo("v2:1024");
        assertThat(KernelLayout.choose(d, 10, KernelLayout.parse("v2:64")).toString()).isEqualTo("v2:2");
        assertThat(KernelLayout.choose(gpu(256), 32000, KernelLayout.parse("v2:1024")).toString()).isEqualTo("v2:256");
    }

    @Test
    void longRowsRunTheForwardInOnePassUnlessTheyAreForced() {
        String p = KernelLayout.ONE_PASS_PROPERTY;
        SystemProperties.with(p, null, () -> {
            assertThat(KernelLayout.onePassMacro(1000)).isEqualTo(" -DONE_PASS=0");
            assertThat(KernelLayout.onePassMacro(KernelLayout.ONE_PASS_MIN_K - 1)).isEqualTo(" -DONE_PASS=0");
            assertThat(KernelLayout.onePassMacro(KernelLayout.ONE_PASS_MIN_K)).isEqualTo(" -DONE_PASS=1");
        });
        SystemProperties.with(p, "TRUE", () -> assertThat(KernelLayout.onePassMacro(10)).isEqualTo(" -DONE_PASS=1"));
        SystemProperties.with(p, "false", () -> assertThat(KernelLayout.onePassMacro(262144)).isEqualTo(" -DONE_PASS=0"));
    }

    @Test
    void fewRowsOfHugeKSplitFromV2AsFromV1() {
        DeviceInfo d = gpu(1024);
        KernelLayout l = KernelLayout.choose(d, 262144, 64, null);
        assertThat(l.splitRows()).isTrue();
        assertThat(l.quads()).isFalse();
    }

    @Test
    void aSplitOrWideVectorGroupLayoutIsRefusedByName() {
        assertThatThrownBy(() -> new KernelLayout(true, 64, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vecw 8");
        assertThatThrownBy(() -> new KernelLayout(true, 64, 4, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("split");
        assertThatThrownBy(() -> KernelLayout.parse("v2:100")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v2:100");
    }
}
