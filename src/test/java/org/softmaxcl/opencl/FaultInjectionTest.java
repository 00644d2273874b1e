package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jocl.CL.CL_BUILD_PROGRAM_FAILURE;
import static org.jocl.CL.CL_DEVICE_NOT_AVAILABLE;
import static org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.BackendKind;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.cpu.CpuBackend;

/**
 * OpenCL failures injected at each step through {@link FaultInjection}: an automatically chosen
 * engine falls back to the CPU with the reason in its report and the right result; an engine that
 * asked for OpenCL throws an exception naming the call and the code; in both cases the caller's
 * output is never half-written.
 */
@Tag("opencl")
class FaultInjectionTest {
    private static final int N = 37;
    private static final int K = 53;

    @AfterEach
    void clear() {
        FaultInjection.clear();
    }

    private static float[] logits() {
        Random r = new Random(7);
        float[] x = new float[N * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * r.nextGaussian());
        }
        return x;
    }

    private static int[] targets() {
        Random r = new Random(8);
        int[] t = new int[N];
        for (int i = 0; i < N; i++) {
            t[i] = r.nextInt(K);
        }
        return t;
    }

    private static float[] sentinel() {
        float[] g = new float[N * K];
        Arrays.fill(g, -12345.5f);
        return g;
    }

    private static XentResult cpuReference(float[] grad) {
        try (Engine e = Engine.over(CpuBackend.scalar(1, "reference"))) {
            return e.crossEntropyWithGradient(FloatMatrix.of(logits(), N, K), Targets.hard(targets()), XentOptions.DEFAULTS,
                    FloatMatrix.of(grad, N, K));
        }
    }

    @Test
    void aMissingLibraryFallsBackToTheCpuAndSaysSo() {
        FaultInjection.simulateMissingLibrary();
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("no OpenCL library").contains("UnsatisfiedLinkError");
        }
        assertThatThrownBy(Engine::openCl).isInstanceOf(IllegalStateException.class).hasMessageContaining("no OpenCL library");
        FaultInjection.clear();
        assertThat(OpenClProbe.probe().devices()).isNotEmpty();
    }

    @ParameterizedTest
    @CsvSource({"clGetPlatformIDs, -5, failed", "clCreateContext, -6, clCreateContext",
            "clCreateCommandQueue, -5, clCreateCommandQueue", "clBuildProgram, -11, do not build"})
    void failuresWhileOpeningFallBackToTheCpu(String call, int code, String expected) {
        OpenClProbe.forget();
        FaultInjection.fail(call, code, 0, true);
        long before = ClObjects.live();
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("OpenCL unavailable");
            if (!call.equals("clGetPlatformIDs")) {
                assertThat(e.report().reason()).contains(expected);
            }
        }
        assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(before);
        FaultInjection.clear();
        OpenClProbe.forget();
    }

    @Test
    void aBuildFailureNamesTheCallAndCarriesTheCode() {
        FaultInjection.fail("clBuildProgram", CL_BUILD_PROGRAM_FAILURE, 0, true);
        assertThatThrownBy(() -> OpenClBackend.open(null, null, "test")).isInstanceOf(OpenClUnavailableException.class)
                .hasMessageContaining("clBuildProgram").hasMessageContaining("CL_BUILD_PROGRAM_FAILURE");
    }

    @ParameterizedTest
    @CsvSource({"clCreateBuffer, 0, -4", "clEnqueueWriteBuffer, 0, -5", "clEnqueueNDRangeKernel, 0, -5",
            "clWaitForEvents, 0, -2", "clEnqueueReadBuffer, 0, -5", "clEnqueueReadBuffer, 1, -2"})
    void aFailureDuringACallOnAnAutoEngineReRunsItOnTheCpu(String call, int skip, int code) {
        float[] expected = new float[N * K];
        XentResult want = cpuReference(expected);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
            float[] grad = sentinel();
            FaultInjection.fail(call, code, skip, true);
            XentResult got = e.crossEntropyWithGradient(FloatMatrix.of(logits(), N, K), Targets.hard(targets()),
                    XentOptions.DEFAULTS, FloatMatrix.of(grad, N, K));
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("fell back to the CPU").contains(call);
            assertThat(got.loss()).isCloseTo(want.loss(), org.assertj.core.data.Offset.offset(1e-5));
            for (int i = 0; i < grad.length; i++) {
                assertThat(grad[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-6f));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"clCreateBuffer, 0", "clEnqueueNDRangeKernel, 0", "clWaitForEvents, 0", "clEnqueueReadBuffer, 0",
            "clEnqueueReadBuffer, 1"})
    void aFailureOnAnExplicitOpenClEngineThrowsAndWritesNothing(String call, int skip) {
        try (Engine e = Engine.openCl()) {
            float[] grad = sentinel();
            float[] x = logits();
            float[] xBefore = x.clone();
            FaultInjection.fail(call, skip == 0 ? CL_OUT_OF_RESOURCES : CL_DEVICE_NOT_AVAILABLE, skip, false);
            assertThatThrownBy(() -> e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(targets()),
                    XentOptions.DEFAULTS, FloatMatrix.of(grad, N, K)))
                    .isInstanceOf(OpenClException.class).hasMessageContaining(call);
            assertThat(grad).containsExactly(sentinel());
            assertThat(x).containsExactly(xBefore);
            // In place: the logits themselves are the output, and stay whole.
            FaultInjection.fail(call, CL_MEM_OBJECT_ALLOCATION_FAILURE, skip, false);
            assertThatThrownBy(() -> e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(targets()),
                    XentOptions.DEFAULTS, FloatMatrix.of(x, N, K))).isInstanceOf(OpenClException.class);
            assertThat(x).containsExactly(xBefore);
            // The engine still works once the fault is gone.
            FaultInjection.clear();
            e.crossEntropyWithGradient(FloatMatrix.of(x, N, K), Targets.hard(targets()), XentOptions.DEFAULTS,
                    FloatMatrix.of(grad, N, K));
            assertThat(grad).doesNotContain(-12345.5f);
        }
    }

    @Test
    void everyOpenClObjectIsReleasedOnClose() {
        long before = ClObjects.live();
        for (int i = 0; i < 5; i++) {
            try (Engine e = Engine.openCl()) {
                e.crossEntropyWithGradient(FloatMatrix.of(logits(), N, K), Targets.hard(targets()), XentOptions.DEFAULTS,
                        FloatMatrix.of(new float[N * K], N, K));
                e.softmax(logits(), N, K);
                assertThat(ClObjects.live()).isGreaterThan(before);
            }
            assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(before);
        }
    }
}
