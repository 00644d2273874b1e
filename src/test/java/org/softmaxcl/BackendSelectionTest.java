package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.softmaxcl.opencl.OpenClProbe;
import org.softmaxcl.opencl.ProbeResult;

/**
 * How the backend is chosen. CI runs this class twice: with PoCL visible
 * (SOFTMAXCL_TEST_EXPECT=opencl, the default) and with an empty OpenCL vendor folder
 * (SOFTMAXCL_TEST_EXPECT=none); each run asserts what it must see, so a missing device fails.
 */
class BackendSelectionTest {

    private static boolean expectOpenCl() {
        String e = System.getenv("SOFTMAXCL_TEST_EXPECT");
        return e == null || e.isBlank() || e.equalsIgnoreCase("opencl");
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(BackendChoice.PROPERTY);
    }

    @Test
    void autoPicksOpenClWhenADeviceExistsAndTheCpuOtherwise() {
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            BackendReport r = e.report();
            if (expectOpenCl()) {
                assertThat(r.kind()).as(r.toString()).isEqualTo(BackendKind.OPENCL);
                assertThat(r.reason()).contains("auto");
            } else {
                assertThat(r.kind()).isEqualTo(BackendKind.CPU);
                assertThat(r.reason()).contains("auto").contains("zero OpenCL platforms");
            }
            assertThat(r.toString()).startsWith("backend=" + r.kind().name().toLowerCase()).contains("device='")
                    .contains("reason='").doesNotContain("\n");
        }
    }

    @Test
    void anExplicitThreadCountReachesTheCpuBackendAndZeroIsRefused() {
        try (Engine e = Engine.create(BackendChoice.CPU, 3)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().device()).contains("3 threads");
        }
        assertThatThrownBy(() -> Engine.create(BackendChoice.AUTO, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpuThreads").hasMessageContaining("0");
    }

    /** The CPU threads setting is read only where a CPU backend is made: an explicit OpenCL engine ignores it. */
    @Test
    void anOpenClEngineDoesNotReadTheThreadsSetting() {
        System.setProperty(BackendSelector.THREADS_PROPERTY, "zero");
        try {
            if (expectOpenCl()) {
                try (Engine e = Engine.create(BackendChoice.OPENCL)) {
                    assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
                }
            } else {
                assertThatThrownBy(() -> Engine.create(BackendChoice.OPENCL)).isInstanceOf(IllegalStateException.class);
            }
            assertThatThrownBy(Engine::cpu).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'zero'");
        } finally {
            System.clearProperty(BackendSelector.THREADS_PROPERTY);
        }
    }

    @Test
    void probeReportsWhatItFound() {
        ProbeResult p = OpenClProbe.probe();
        assertThat(p.libraryLoaded()).isTrue();
        if (expectOpenCl()) {
            assertThat(p.devices()).isNotEmpty();
            assertThat(p.whyNoDevice()).isNull();
        } else {
            assertThat(p.platforms()).isZero();
            assertThat(p.whyNoDevice()).contains("zero OpenCL platforms").contains("CL_PLATFORM_NOT_FOUND_KHR");
        }
    }

    @Test
    void askingForOpenClWithoutADeviceIsAClearError() {
        if (expectOpenCl()) {
            try (Engine e = Engine.openCl()) {
                assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
            }
        } else {
            assertThatThrownBy(Engine::openCl).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("OpenCL backend requested").hasMessageContaining("zero OpenCL platforms");
        }
    }

    @Test
    void systemPropertyChoosesTheBackend() {
        System.setProperty(BackendChoice.PROPERTY, "cpu");
        try (Engine e = Engine.auto()) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("CPU backend requested");
        }
        System.setProperty(BackendChoice.PROPERTY, "gpu-please");
        assertThatThrownBy(Engine::auto).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(BackendChoice.PROPERTY).hasMessageContaining("gpu-please");
    }

    @Test
    void aClosedEngineRefusesCallsAndClosesTwiceQuietly() {
        Engine e = Engine.cpu();
        e.close();
        e.close();
        assertThatThrownBy(() -> e.softmax(new float[] {1, 2}, 1, 2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
