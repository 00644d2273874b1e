package org.softmaxcl.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * How the small-K kernels choose to move rows into vector lanes: the CPU vendor as
 * {@code /proc/cpuinfo} gives it ({@link CpuVendor}), the rule that picks gathers only for 512-bit
 * vectors on Intel ({@link LaneTile#gather}), the lane thresholds that follow it and their
 * override, and the log line's detail.
 */
class LaneMovesTest {
    @Test
    void readsTheFirstVendorIdLine() {
        List<String> intel = List.of("processor\t: 0", "vendor_id\t: GenuineIntel", "cpu family\t: 6",
                "processor\t: 1", "vendor_id\t: SomethingElse");
        assertThat(CpuVendor.parse(intel.stream())).isEqualTo("GenuineIntel");
        assertThat(CpuVendor.parse(Stream.of("vendor_id: AuthenticAMD  "))).isEqualTo("AuthenticAMD");
    }

    @Test
    void isEmptyWithoutAVendorIdLine() {
        // An ARM kernel's cpuinfo, a look-alike key, a line with no colon, nothing at all.
        assertThat(CpuVendor.parse(Stream.of("processor\t: 0", "CPU implementer\t: 0x41", "BogoMIPS\t: 50.00"))).isEmpty();
        assertThat(CpuVendor.parse(Stream.of("vendor_id_x\t: GenuineIntel", "vendor_id GenuineIntel"))).isEmpty();
        assertThat(CpuVendor.parse(Stream.of())).isEmpty();
    }

    @Test
    void thisMachinesVendorIsTheParsedOneOrEmpty() throws Exception {
        java.nio.file.Path info = java.nio.file.Path.of("/proc/cpuinfo");
        String expected = java.nio.file.Files.isReadable(info)
                ? CpuVendor.parse(java.nio.file.Files.readAllLines(info, java.nio.charset.StandardCharsets.ISO_8859_1).stream()) : "";
        assertThat(CpuVendor.id()).isEqualTo(expected);
    }

    @Test
    void gathersOnlyFor512BitVectorsOnIntelUnlessTheyAreForced() {
        assertThat(LaneTile.gather("", 512, "GenuineIntel")).isTrue();
        assertThat(LaneTile.gather("", 256, "GenuineIntel")).as("AVX2: no scatter").isFalse();
        assertThat(LaneTile.gather("", 512, "AuthenticAMD")).as("microcoded gathers").isFalse();
        assertThat(LaneTile.gather("", 512, "")).as("unknown vendor").isFalse();
        assertThat(LaneTile.gather(" ", 512, "GenuineIntel")).as("blank is unset").isTrue();
        assertThat(LaneTile.gather("true", 256, "AuthenticAMD")).isTrue();
        assertThat(LaneTile.gather("false", 512, "GenuineIntel")).isFalse();
    }

    @Test
    void laneThresholdsFollowTheMovesAndStayWithinTheChunkAlignment() {
        int vectors = VectorKernels.L >= 16 && !LaneTile.gatherByDefault() ? 6 : 8;
        assertThat(VectorKernels.XENT_LANES_K).isEqualTo(Math.max(2 * VectorKernels.L, vectors * VectorKernels.L));
        assertThat(VectorKernels.SOFTMAX_LANES_K).isLessThanOrEqualTo(CpuBackend.SMALL_K);
        assertThat(VectorKernels.XENT_LANES_K).isLessThanOrEqualTo(CpuBackend.SMALL_K);
    }

    @Test
    void theThresholdOverrideIsClamped() {
        String p = "softmaxcl.test.lanesK";
        try {
            assertThat(VectorKernels.lanesK(p, 96)).as("unset").isEqualTo(96);
            System.setProperty(p, "40");
            assertThat(VectorKernels.lanesK(p, 96)).isEqualTo(40);
            System.setProperty(p, "100000");
            assertThat(VectorKernels.lanesK(p, 96)).isEqualTo(CpuBackend.SMALL_K);
            System.setProperty(p, "-3");
            assertThat(VectorKernels.lanesK(p, 96)).isEqualTo(2);
            System.setProperty(p, "many");
            assertThat(VectorKernels.lanesK(p, 96)).as("not an integer").isEqualTo(96);
        } finally {
            System.clearProperty(p);
        }
    }

    @Test
    void theLogLineSaysHowRowsMove() {
        assertThat(new VectorKernels(true).detail()).contains("by gathers").contains("K = " + VectorKernels.XENT_LANES_K);
        assertThat(new VectorKernels(false).detail()).contains("element by element").contains("CPU ");
        assertThat(new ScalarKernels().detail()).isEmpty();
    }
}
