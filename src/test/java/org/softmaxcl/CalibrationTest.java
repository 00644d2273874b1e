package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code auto} prefers an OpenCL device that is not a GPU only when it measured faster than the
 * Java CPU path, says what it measured, and remembers it. Without OpenCL there is nothing to
 * measure and the CPU is chosen as before.
 */
class CalibrationTest {
    private String saved;

    @BeforeEach
    void calibrationOn() {
        saved = System.getProperty(Calibration.PROPERTY);
        System.setProperty(Calibration.PROPERTY, "true");
        System.setProperty(Calibration.CACHE_PROPERTY, "false");
        Calibration.forget();
        BackendSelector.lastCalibration = null;
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(Calibration.PROPERTY);
        } else {
            System.setProperty(Calibration.PROPERTY, saved);
        }
        System.clearProperty(Calibration.CACHE_PROPERTY);
        Calibration.forget();
    }

    private static boolean expectOpenCl() {
        String e = System.getenv("SOFTMAXCL_TEST_EXPECT");
        return e == null || e.isBlank() || e.equalsIgnoreCase("opencl");
    }

    @Test
    void autoPicksTheBackendThatMeasuredFasterAndSaysSo() {
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            Calibration c = BackendSelector.lastCalibration;
            if (!expectOpenCl()) {
                assertThat(c).isNull();
                assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
                return;
            }
            assertThat(c).isNotNull();
            assertThat(c.openclGelemPerS()).isPositive();
            assertThat(c.cpuGelemPerS()).isPositive();
            assertThat(c.cached()).isFalse();
            assertThat(e.backendKind()).isEqualTo(c.openClWins() ? BackendKind.OPENCL : BackendKind.CPU);
            assertThat(e.report().reason()).contains("measured faster").contains("Gelem/s")
                    .contains(Calibration.ROWS + "x" + Calibration.COLS);
        }
        if (expectOpenCl()) {
            try (Engine again = Engine.create(BackendChoice.AUTO)) {
                assertThat(BackendSelector.lastCalibration.cached()).isTrue();
                assertThat(again.report().reason()).contains("(cached)");
            }
        }
    }

    @Test
    void calibrationCanBeTurnedOff() {
        System.setProperty(Calibration.PROPERTY, "false");
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            if (expectOpenCl()) {
                assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
                assertThat(e.report().reason()).contains("calibration off");
            } else {
                assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            }
        }
    }
}
