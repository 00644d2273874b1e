package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.softmaxcl.testing.SystemProperties.with;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.softmaxcl.XentOptions;
import org.softmaxcl.backend.SampleBatches;
import org.softmaxcl.backend.XentTask;

/**
 * {@code auto}'s calibration cache is keyed by what the measured speed depends on: the same code,
 * layout and build options give the same key; another layout (a forced one, or another shape's),
 * other kernel sources or any setting that changes the program's build options give another, so
 * a library upgrade or a retuned device is measured again; a setting that leaves the build
 * options as they were leaves the key.
 */
@Tag("opencl")
class MeasurementFingerprintTest {
    private static XentTask task(int rows, int cols, XentOptions opts) {
        return SampleBatches.hardTargets(rows, cols, 1, opts);
    }

    private static final XentTask CALIBRATION = task(256, 4096, XentOptions.DEFAULTS);

    @Test
    void sameCodeAndLayoutSameKeyOtherLayoutOtherKey() {
        String plain;
        String again;
        String forced;
        String otherShape;
        try (OpenClBackend a = OpenClBackend.open(null, null, "test")) {
            plain = a.measurementFingerprint(CALIBRATION);
            again = a.measurementFingerprint(task(256, 4096, XentOptions.DEFAULTS));
            otherShape = a.measurementFingerprint(task(256, 4, XentOptions.DEFAULTS));
        }
        try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
            assertThat(b.measurementFingerprint(CALIBRATION)).as("another backend on the same device").isEqualTo(plain);
        }
        try (OpenClBackend c = OpenClBackend.open(null, "v1:64", "test")) {
            forced = c.measurementFingerprint(CALIBRATION);
        }
        assertThat(plain).isEqualTo(again).matches("[0-9a-f]{32}");
        assertThat(forced).as("a forced layout").isNotEqualTo(plain);
        assertThat(otherShape).as("K = 4 runs V0, K = 4096 V0v or V1").isNotEqualTo(plain);
        assertThat(KernelSource.hashOfKernels("x")).isNotEqualTo(KernelSource.hashOfKernels("y"));
    }

    @Test
    void settingsThatChangeTheBuildOptionsChangeTheKey() {
        try (OpenClBackend v2 = OpenClBackend.open(null, "v2:256", "test")) {
            // V2 with its row in registers (4 quads per work-item at K = 4096): the constant row length and the lean form are in its options.
            String cached = with(KernelLayout.ROW_CACHE_PROPERTY, "true", () -> v2.measurementFingerprint(CALIBRATION));
            String uncached = v2.measurementFingerprint(CALIBRATION);
            String noFixedK = with(KernelLayout.ROW_CACHE_PROPERTY, "true",
                    () -> with(KernelLayout.FIXED_K_PROPERTY, "false", () -> v2.measurementFingerprint(CALIBRATION)));
            String noLean = with(KernelLayout.ROW_CACHE_PROPERTY, "true",
                    () -> with(KernelLayout.LEAN_PROPERTY, "false", () -> v2.measurementFingerprint(CALIBRATION)));
            assertThat(cached).as("softmaxcl.opencl.rowCache=true on a CPU device").isNotEqualTo(uncached);
            assertThat(noFixedK).as("softmaxcl.opencl.fixedK=false").isNotEqualTo(cached).isNotEqualTo(uncached);
            assertThat(noLean).as("softmaxcl.opencl.lean=false").isNotEqualTo(cached).isNotEqualTo(noFixedK);
            String onePass = with(KernelLayout.ONE_PASS_PROPERTY, "true", () -> v2.measurementFingerprint(CALIBRATION));
            assertThat(onePass).as("softmaxcl.opencl.onePass=true at K = 4096").isNotEqualTo(uncached);
            String smoothed = v2.measurementFingerprint(task(256, 4096, XentOptions.builder().labelSmoothing(0.1f).build()));
            assertThat(smoothed).as("a call with label smoothing builds another program").isNotEqualTo(uncached);
        }
        String extra = with(ClRuntime.BUILD_OPTIONS_PROPERTY, "-DUNUSED_BY_ANY_KERNEL=1", () -> {
            try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
                return b.measurementFingerprint(CALIBRATION);
            }
        });
        try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
            assertThat(extra).as("extra build options").isNotEqualTo(b.measurementFingerprint(CALIBRATION));
        }
    }

    @Test
    void aSettingThatLeavesTheBuildOptionsLeavesTheKey() {
        try (OpenClBackend b = OpenClBackend.open(null, "v2:256", "test")) {
            // No row in registers (a CPU device by default): no lean form to turn off.
            String plain = b.measurementFingerprint(CALIBRATION);
            String noLean = with(KernelLayout.LEAN_PROPERTY, "false", () -> b.measurementFingerprint(CALIBRATION));
            String softmaxCache = with(KernelLayout.SOFTMAX_CACHE_PROPERTY, "true", () -> b.measurementFingerprint(CALIBRATION));
            assertThat(noLean).as("softmaxcl.opencl.lean=false with no row cache").isEqualTo(plain);
            assertThat(softmaxCache).as("the softmax forward's cache (calibration measures the cross-entropy)").isEqualTo(plain);
        }
    }
}
