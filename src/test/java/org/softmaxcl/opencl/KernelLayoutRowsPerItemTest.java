package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The host side of V0v walking several rows per work-item: parsing, macros, launch sizes, fitting to N. */
class KernelLayoutRowsPerItemTest {
    private static DeviceInfo cpu(int units) {
        return FakeDevices.of("CPU", "AuthenticAMD", "pthread-zen3", units, 4096);
    }

    @Test
    void parsesPrintsAndBuildsWithTheRowsMacro() {
        KernelLayout l = KernelLayout.parse("v0v:8:4:16");
        assertThat(l.rpw()).isEqualTo(16);
        assertThat(l.toString()).isEqualTo("v0v:8:4:16");
        assertThat(l.macros()).contains("-DVECW=8", "-DWGS=4", "-DRPW=16");
        assertThat(KernelLayout.parse("v0v:8:8").rpw()).isEqualTo(1);
        assertThat(KernelLayout.parse("v0v:8:8").toString()).isEqualTo("v0v:8:8");
        assertThat(KernelLayout.parse("v0v:8:8").macros()).contains("-DRPW=1");
        assertThat(KernelLayout.parse("v1:64").macros()).doesNotContain("RPW");
    }

    @Test
    void launchesOneWorkItemPerRowsAndStartsChunksOnWholeWorkItems() {
        KernelLayout l = KernelLayout.parse("v0v:8:4:5");
        assertThat(l.global(37)).as("ceil(37 / 5) = 8 work-items, two groups of 4").isEqualTo(8);
        assertThat(l.global(41)).as("9 work-items, rounded up to 12").isEqualTo(12);
        assertThat(l.offset(40)).isEqualTo(8);
        assertThat(l.rowsPerGroup()).isEqualTo(20);
        assertThatThrownBy(() -> l.offset(7)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 7");
        assertThat(KernelLayout.parse("v1:64").rowsPerGroup()).isEqualTo(1);
        assertThat(KernelLayout.parse("v0:64").rowsPerGroup()).isEqualTo(64);
    }

    @Test
    void fewRowsWalkFewerRowsPerWorkItemUnlessTheLayoutIsForced() {
        DeviceInfo d = cpu(2);
        assertThat(KernelLayout.choose(d, 1000, 16384, null).toString()).isEqualTo("v0v:8:4:16");
        // 2 units × 4 groups × 4 work-items: 32 work-items at least.
        assertThat(KernelLayout.choose(d, 262144, 64, null).toString()).isEqualTo("v0v:8:4:2");
        assertThat(KernelLayout.choose(d, 1000, 20, null).toString()).isEqualTo("v0v:8:4");
        assertThat(KernelLayout.choose(d, 1000, 20, KernelLayout.parse("v0v:8:4:16")).toString()).isEqualTo("v0v:8:4:16");
        assertThat(KernelLayout.choose(d, 5, 16384, null).toString()).as("small K stays on V0").isEqualTo("v0:64");
    }

    @Test
    void theScalarV0WalksOneRowPerWorkItem() {
        assertThatThrownBy(() -> new KernelLayout(false, 64, 1, 0, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("V0");
        assertThatThrownBy(() -> KernelLayout.parse("v0v:8:4:65")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v0v:8:4:65");
        assertThatThrownBy(() -> KernelLayout.parse("v0v:8:4:0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }
}
