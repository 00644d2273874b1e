package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.Reduction;

/**
 * The commands on {@code --backend opencl}. These fail (they do not skip) when no OpenCL device
 * works: CI runs them on PoCL and excludes the tag only in its no-OpenCL pass.
 */
@Tag("opencl")
class OpenClCliTest {
    @TempDir
    Path dir;

    @Test
    void xentEqualsTheApiBitForBitOnOpenCl() throws IOException {
        XentFixture f = new XentFixture(dir);
        Map<String, Object> json = f.checkBitForBit(BackendChoice.OPENCL, false,
                java.util.List.of("--label-smoothing", "0.1", "--weights", f.weightsFile.toString(), "--z-loss", "0.001"),
                b -> b.labelSmoothing(0.1f).classWeights(f.weights).zLoss(0.001f));
        assertThat(json.get("backend")).isEqualTo("opencl");
        f.checkBitForBit(BackendChoice.OPENCL, true, java.util.List.of("--reduction", "none", "--temperature", "2"),
                b -> b.reduction(Reduction.NONE).temperature(2f));
    }

    @Test
    void softmaxEqualsTheApiBitForBitOnOpenCl() throws IOException {
        SoftmaxCommandTest.checkBitForBit(dir, BackendChoice.OPENCL, true, "--temperature", "0.5");
    }

    @Test
    void benchJsonHasKernelTime() {
        Cli.Result r = Cli.run("bench", "--rows", "64", "--classes", "1000", "--backend", "opencl", "--reps", "3",
                "--warmup", "1", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsKeys(BenchCommandTest.CONTRACT).containsKey("kernel_ms").containsEntry("backend", "opencl");
        assertThat((Double) j.get("kernel_ms")).isPositive().isLessThanOrEqualTo((Double) j.get("max_ms"));
    }

    /**
     * An auto engine falls back to the CPU when a call fails on OpenCL; bench then refuses to
     * report timings that mix both backends (calibration is off in the tests, so auto is on PoCL).
     */
    @Test
    void benchFailsWhenAutoFallsBackDuringTheTimedCalls() {
        try {
            // The warm-up call's kernels pass; a later launch fails, and so does every one after it.
            org.softmaxcl.opencl.FaultInjection.fail("clEnqueueNDRangeKernel", -5, 2, true);
            Cli.Result r = Cli.run("bench", "--rows", "64", "--classes", "1000", "--backend", "auto", "--reps", "3",
                    "--warmup", "1", "--json", "--no-copy");
            assertThat(r.code()).as(r.toString()).isEqualTo(ExitCodes.FAILURE);
            assertThat(r.err()).contains("moved from opencl to cpu");
        } finally {
            org.softmaxcl.opencl.FaultInjection.clear();
        }
    }

    @Test
    void devicesListsADeviceAndAutoPicksOpenCl() {
        Cli.Result r = Cli.run("devices", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat((java.util.List<?>) j.get("devices")).isNotEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) ((java.util.List<?>) j.get("devices")).get(0);
        assertThat(d).containsKeys("name", "vendor", "version", "opencl_c", "compute_units", "global_mem_bytes",
                "max_alloc_bytes", "fp64");
        assertThat(j.get("auto_backend")).isEqualTo("opencl");
    }

    @Test
    void gradcheckPassesOnOpenCl() {
        Cli.Result r = Cli.run("gradcheck", "--backend", "opencl", "--rows", "5", "--classes", "40");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("on opencl", "all " + GradcheckCases.NAMES.size() + " option sets within the tolerance");
    }

    @Test
    void mainJobRunsOnOpenCl() {
        Cli.Result r = Cli.run("--rows", "32", "--classes", "500", "--reps", "1", "--warmup", "1", "--backend", "opencl");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).containsPattern("(?m)^backend +opencl$").containsPattern("(?m)^reason +OpenCL backend requested$");
    }
}
