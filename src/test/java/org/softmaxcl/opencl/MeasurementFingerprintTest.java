package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code auto}'s calibration cache is keyed by what the measured speed depends on: the same code
 * and layout give the same key, another layout (a forced one, or another shape's) or other kernel
 * sources another, so a library upgrade or a retuned device is measured again.
 */
@Tag("opencl")
class MeasurementFingerprintTest {
    @Test
    void sameCodeAndLayoutSameKeyOtherLayoutOtherKey() {
        String plain;
        String again;
        String forced;
        String otherShape;
        try (OpenClBackend a = OpenClBackend.open(null, null, "test")) {
            plain = a.measurementFingerprint(256, 4096);
            again = a.measurementFingerprint(256, 4096);
            otherShape = a.measurementFingerprint(256, 4);
        }
        try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
            assertThat(b.measurementFingerprint(256, 4096)).as("another backend on the same device").isEqualTo(plain);
        }
        try (OpenClBackend c = OpenClBackend.open(null, "v1:64", "test")) {
            forced = c.measurementFingerprint(256, 4096);
        }
        assertThat(plain).isEqualTo(again).matches("[0-9a-f]{32}");
        assertThat(forced).as("a forced layout").isNotEqualTo(plain);
        assertThat(otherShape).as("K = 4 runs V0, K = 4096 V0v or V1").isNotEqualTo(plain);
        assertThat(KernelSource.hashOfKernels("x")).isNotEqualTo(KernelSource.hashOfKernels("y"));
    }

    @Test
    void otherBuildSettingsOtherKey() {
        String plain;
        try (OpenClBackend a = OpenClBackend.open(null, null, "test")) {
            plain = a.measurementFingerprint(256, 4096);
            String fixedK = org.softmaxcl.testing.SystemProperties.with(KernelLayout.FIXED_K_PROPERTY, "false",
                    () -> a.measurementFingerprint(256, 4096));
            assertThat(fixedK).as("softmaxcl.opencl.fixedK=false").isNotEqualTo(plain);
            String lean = org.softmaxcl.testing.SystemProperties.with(KernelLayout.LEAN_PROPERTY, "false",
                    () -> a.measurementFingerprint(256, 4096));
            assertThat(lean).as("softmaxcl.opencl.lean=false").isNotEqualTo(plain).isNotEqualTo(fixedK);
        }
        String extra = org.softmaxcl.testing.SystemProperties.with(ClRuntime.BUILD_OPTIONS_PROPERTY, "-DUNUSED_BY_ANY_KERNEL=1", () -> {
            try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
                return b.measurementFingerprint(256, 4096);
            }
        });
        assertThat(extra).as("extra build options").isNotEqualTo(plain);
    }
}
