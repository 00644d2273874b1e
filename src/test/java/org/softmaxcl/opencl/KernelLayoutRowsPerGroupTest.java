package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The host side of V1 and V2 walking several rows per work-group: parsing, macros, launch sizes, fitting to N. */
class KernelLayoutRowsPerGroupTest {
    private static DeviceInfo gpu(int units) {
        return FakeDevices.of("GPU", "NVIDIA Corporation", "NVIDIA H200", units, 1024);
    }

    @Test
    void parsesPrintsAndBuildsWithTheRowsMacro() {
        KernelLayout l = KernelLayout.parse("v2:256:4");
        assertThat(l.quads()).isTrue();
        assertThat(l.rpw()).isEqualTo(4);
        assertThat(l.toString()).isEqualTo("v2:256:4");
        assertThat(l.macros()).contains("-DQUADS=1", "-DWGS=256", "-DRPG=4").doesNotContain("RPW");
        assertThat(KernelLayout.parse("v1:64:2").toString()).isEqualTo("v1:64:2");
        assertThat(KernelLayout.parse("v1:64:2").macros()).contains("-DRPG=2");
        assertThat(KernelLayout.parse("v2:256").macros()).doesNotContain("RPG");
        assertThat(KernelLayout.parse("v2:256").toString()).isEqualTo("v2:256");
    }

    @Test
    void launchesOneGroupPerRowsAndStartsChunksOnWholeGroups() {
        KernelLayout l = KernelLayout.parse("v2:64:4");
        assertThat(l.global(37)).as("ceil(37 / 4) = 10 groups of 64").isEqualTo(640);
        assertThat(l.global(40)).isEqualTo(640);
        assertThat(l.offset(40)).as("row 40 starts group 10").isEqualTo(640);
        assertThat(l.rowsPerGroup()).isEqualTo(4);
        assertThatThrownBy(() -> l.offset(6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 6").hasMessageContaining("work-group of 4 rows");
        assertThat(KernelLayout.parse("v2:64").global(37)).isEqualTo(37 * 64);
    }

    @Test
    void aForcedLayoutKeepsItsRowsPerGroup() {
        // As if the database said v2:256:4 for K = 4096: 132 units x 4 groups = 528 groups at least.
        DeviceInfo d = gpu(132);
        KernelLayout forced = KernelLayout.parse("v2:256:4");
        assertThat(KernelLayout.choose(d, 4096, 100, forced).toString()).as("forced: kept").isEqualTo("v2:256:4");
        assertThat(KernelLayout.choose(d, 4096, 8192, null).rpw()).as("the H200 entry itself: one row").isEqualTo(1);
    }

    @Test
    void onlyRowLayoutsWalkSeveralRows() {
        assertThatThrownBy(() -> new KernelLayout(true, 64, 1, 8, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 rows in V3");
        assertThatThrownBy(() -> KernelLayout.parse("v2:64:65")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v2:64:65");
        assertThat(new KernelLayout(true, 64, 4, 0, 64).rpw()).isEqualTo(64);
    }
}
