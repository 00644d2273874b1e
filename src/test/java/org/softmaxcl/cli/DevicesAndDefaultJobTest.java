package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * {@code devices} and the main job, in whatever OpenCL environment the tests run: CI runs them with
 * PoCL visible and again with zero platforms (SOFTMAXCL_TEST_EXPECT=none), and each run checks
 * what it must see.
 */
class DevicesAndDefaultJobTest {

    static boolean expectOpenCl() {
        String e = System.getenv("SOFTMAXCL_TEST_EXPECT");
        return e == null || e.isBlank() || e.equalsIgnoreCase("opencl");
    }

    @Test
    void devicesNamesTheCpuBackendAndAutosChoice() {
        Cli.Result r = Cli.run("devices");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("CPU backend: Java ", "auto picks: ", "because: auto");
        if (expectOpenCl()) {
            assertThat(r.out()).contains("Platform 0: ", "Device 0:0: ", "compute units", "max allocation",
                    "OpenCL C", "fp64", "auto picks: opencl");
        } else {
            assertThat(r.out()).contains("OpenCL: none usable: ", "auto picks: cpu").doesNotContain("Platform 0");
        }
    }

    @Test
    void devicesJson() {
        Cli.Result r = Cli.run("devices", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsKeys("opencl_loaded", "platforms", "devices", "cpu_device", "auto_backend", "auto_device",
                "auto_reason");
        assertThat(j.get("auto_backend")).isEqualTo(expectOpenCl() ? "opencl" : "cpu");
        if (!expectOpenCl()) {
            assertThat((java.util.List<?>) j.get("devices")).isEmpty();
            assertThat((String) j.get("opencl_problem")).contains("zero OpenCL platforms");
        }
    }

    @Test
    void mainJobPrintsLossBackendDeviceReasonAndThroughput() {
        Cli.Result r = Cli.run("--rows", "16", "--classes", "50", "--reps", "3", "--warmup", "1", "--backend", "cpu");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("16 x 50").containsPattern("(?m)^loss +\\d+\\.\\d+$")
                .containsPattern("(?m)^backend +cpu$").containsPattern("(?m)^device +Java ")
                .containsPattern("(?m)^reason +CPU backend requested$").containsPattern("(?m)^throughput +[0-9.]+ Gelem/s");
    }

    @Test
    void mainJobJsonAndDeterminism() {
        Cli.Result a = Cli.run("--rows", "9", "--classes", "300", "--reps", "1", "--warmup", "0", "--json", "--backend", "cpu");
        Cli.Result b = Cli.run("--rows", "9", "--classes", "300", "--reps", "2", "--warmup", "1", "--json", "--backend", "cpu");
        assertThat(a.code()).as(a.toString()).isZero();
        Map<String, Object> j = a.json();
        assertThat(j).containsKeys("loss", "backend", "device", "reason", "rows", "classes", "median_ms", "gelem_per_s");
        assertThat(j.get("loss")).isEqualTo(b.json().get("loss"));
        assertThat((Double) j.get("loss")).isBetween(0.0, 50.0);
    }

    @Test
    void mainJobOnTheLibrarysOwnChoice() {
        Cli.Result r = Cli.run("--rows", "4", "--classes", "10", "--reps", "1", "--warmup", "0");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).containsPattern("(?m)^backend +" + (expectOpenCl() ? "opencl" : "cpu") + "$")
                .containsPattern("(?m)^reason +auto: ");
    }

    @Test
    void embeddedBatchIsNonUniformAndSeeded() {
        SyntheticBatch a = SyntheticBatch.of(64, 1000, 42);
        SyntheticBatch b = SyntheticBatch.of(64, 1000, 42);
        assertThat(a.logits()).isEqualTo(b.logits());
        assertThat(a.targets()).isEqualTo(b.targets());
        assertThat(SyntheticBatch.of(64, 1000, 43).logits()).isNotEqualTo(a.logits());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : a.logits()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(max - min).isGreaterThan(15f);
        assertThat(java.util.Arrays.stream(a.targets()).distinct().count()).isGreaterThan(10);
    }
}
