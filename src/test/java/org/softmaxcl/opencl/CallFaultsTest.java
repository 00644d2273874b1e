package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jocl.CL.CL_BUILD_PROGRAM_FAILURE;
import static org.jocl.CL.CL_DEVICE_NOT_AVAILABLE;
import static org.jocl.CL.CL_DEVICE_NOT_FOUND;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;
import static org.jocl.CL.CL_PLATFORM_NOT_FOUND_KHR;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.BackendKind;
import org.softmaxcl.Engine;

/**
 * What {@link FaultInjectionTest} leaves out: zero platforms and zero devices at the probe; a
 * kernel that fails to build at its first call (not at warm-up); allocation, enqueue, wait and
 * read failures in softmax, log-softmax and both backward passes; and a device lost in the
 * middle of a batch of calls (its second launch, or the final read of its second call). An
 * automatic engine reruns the failing call on the CPU, says why in its report, and from then on
 * gives the CPU's bits; an engine that asked for OpenCL throws {@link OpenClException} naming
 * the call, and no output of a failed call is written, in place or not.
 */
@Tag("opencl")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallFaultsTest {
    private Engine explicit;
    private Engine cpu;
    private long liveBefore;

    @BeforeAll
    void open() {
        liveBefore = ClObjects.live();
        explicit = Engine.openCl();
        cpu = Engine.cpu();
    }

    @AfterAll
    void close() {
        explicit.close();
        cpu.close();
        assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(liveBefore);
    }

    @AfterEach
    void clear() {
        FaultInjection.clear();
        OpenClProbe.forget();
    }

    @Test
    void zeroPlatformsFallBackToTheCpuOrFailAnExplicitEngine() {
        OpenClProbe.forget();
        FaultInjection.fail("clGetPlatformIDs", CL_PLATFORM_NOT_FOUND_KHR, 0, true);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("auto: OpenCL unavailable").contains("zero OpenCL platforms");
        }
        assertThatThrownBy(Engine::openCl).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("OpenCL backend requested").hasMessageContaining("zero OpenCL platforms");
    }

    @Test
    void zeroDevicesFallBackToTheCpuOrFailAnExplicitEngine() {
        OpenClProbe.forget();
        FaultInjection.fail("clGetDeviceIDs", CL_DEVICE_NOT_FOUND, 0, true);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("zero OpenCL devices on 1 platform").contains("clGetDeviceIDs");
        }
        assertThatThrownBy(Engine::openCl).isInstanceOf(IllegalStateException.class).hasMessageContaining("zero OpenCL devices");
    }

    @Test
    void aBadLayoutSettingLeaksNoOpenClObject() {
        long before = ClObjects.live();
        System.setProperty("softmaxcl.opencl.layout", "v7:3");
        try {
            try (Engine e = Engine.create(BackendChoice.AUTO)) {
                assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
                assertThat(e.report().reason()).contains("softmaxcl.opencl.layout");
            }
            assertThatThrownBy(Engine::openCl).isInstanceOf(IllegalStateException.class);
        } finally {
            System.clearProperty("softmaxcl.opencl.layout");
        }
        assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(before);
    }

    static Stream<Arguments> buildCases() {
        return Stream.of(FaultOps.Op.values()).map(Arguments::of);
    }

    /** A variant that is not built at warm-up fails to build at its first call. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("buildCases")
    void aKernelThatFailsToBuildAtItsFirstCall(FaultOps.Op op) {
        FaultOps.Outcome want = op.run(cpu, false);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
            FaultInjection.fail("clBuildProgram", CL_BUILD_PROGRAM_FAILURE, 0, true);
            FaultOps.Outcome got = op.run(e, false);
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("fell back to the CPU").contains("clBuildProgram")
                    .contains("CL_BUILD_PROGRAM_FAILURE");
            got.assertSameBits(op + " after the fallback", want);
        }
        FaultInjection.clear();
        try (Engine e = Engine.openCl()) {
            FaultInjection.fail("clBuildProgram", CL_BUILD_PROGRAM_FAILURE, 0, true);
            FaultOps.Call s = op.scene(false);
            assertThatThrownBy(() -> s.run(e)).isInstanceOf(OpenClException.class).hasMessageContaining("clBuildProgram(")
                    .hasMessageContaining(op.file()).hasMessageContaining("CL_BUILD_PROGRAM_FAILURE");
            s.assertUntouched();
        }
    }

    /** The OpenCL calls a softmax or backward call makes, with the match to skip (the n-th read is 1). */
    static final String[][] CALL_SITES = {
            {"clCreateBuffer", "0"}, {"clEnqueueWriteBuffer", "0"}, {"clEnqueueNDRangeKernel", "0"},
            {"clWaitForEvents", "0"}, {"clEnqueueReadBuffer", "0"}};

    static Stream<Arguments> callCases() {
        List<Arguments> a = new ArrayList<>();
        for (FaultOps.Op op : FaultOps.Op.values()) {
            if (op == FaultOps.Op.XENT) {
                continue;       // FaultInjectionTest covers cross-entropy call by call
            }
            for (String[] site : CALL_SITES) {
                a.add(Arguments.of(op, site[0], Integer.parseInt(site[1])));
            }
        }
        // Softmax under the default policy reads the row status first, then the result: the final read.
        a.add(Arguments.of(FaultOps.Op.SOFTMAX, "clEnqueueReadBuffer", 1));
        a.add(Arguments.of(FaultOps.Op.LOG_SOFTMAX, "clEnqueueReadBuffer", 1));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} #{2}")
    @MethodSource("callCases")
    void aFailureInACallOnAnAutoEngineReRunsItOnTheCpu(FaultOps.Op op, String call, int skip) {
        FaultOps.Outcome want = op.run(cpu, false);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            if (!call.equals("clCreateBuffer")) {
                op.run(e, false);      // builds the kernel, so the fault hits the call itself
            }                          // (but leaves pooled buffers, which the next call reuses)
            FaultInjection.fail(call, CL_OUT_OF_RESOURCES, skip, true);
            FaultOps.Outcome got = op.run(e, false);
            assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
            assertThat(e.report().reason()).contains("fell back to the CPU").contains(call).contains("CL_OUT_OF_RESOURCES");
            got.assertSameBits(op.toString(), want);
        }
    }

    @ParameterizedTest(name = "{0} {1} #{2}")
    @MethodSource("callCases")
    void aFailureInACallOnAnExplicitEngineThrowsAndWritesNothing(FaultOps.Op op, String call, int skip) {
        for (boolean inPlace : new boolean[] {false, true}) {
            // clCreateBuffer needs a fresh engine (a used one reuses its pooled buffers).
            boolean fresh = call.equals("clCreateBuffer");
            Engine e = fresh ? Engine.openCl() : explicit;
            try {
                FaultOps.Call s = op.scene(inPlace);
                FaultInjection.fail(call, CL_DEVICE_NOT_AVAILABLE, skip, false);
                assertThatThrownBy(() -> s.run(e)).as("in place: %s", inPlace).isInstanceOf(OpenClException.class)
                        .hasMessageContaining(call).hasMessageContaining("CL_DEVICE_NOT_AVAILABLE");
                s.assertUntouched();
                // The fault was a single one: the engine works again, on OpenCL.
                FaultOps.Outcome after = op.run(e, inPlace);
                assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
                after.assertClose(op.toString(), op.run(cpu, inPlace));
            } finally {
                if (fresh) {
                    e.close();
                }
            }
        }
    }

    static Stream<Arguments> lostDevice() {
        // The batch's first call (xent) reads twice (row results, gradient), its second (softmax)
        // twice too (row status, result): the fourth read is the final read of the second call.
        return Stream.of(Arguments.of("clEnqueueNDRangeKernel", 1), Arguments.of("clWaitForEvents", 1),
                Arguments.of("clEnqueueReadBuffer", 3));
    }

    /**
     * A device lost in the middle of a batch (xent, softmax, backward, log-softmax, xent): from the
     * failing call on, every call fails. An automatic engine finishes the batch on the CPU with
     * correct results; an explicit one keeps the outputs of the calls before the failure and
     * writes nothing of the failed and later calls.
     */
    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("lostDevice")
    void aDeviceLostMidBatch(String call, int skip) {
        List<FaultOps.Op> batch = List.of(FaultOps.Op.XENT, FaultOps.Op.SOFTMAX, FaultOps.Op.BACKWARD,
                FaultOps.Op.LOG_SOFTMAX, FaultOps.Op.XENT);
        try (Engine e = Engine.create(BackendChoice.AUTO)) {
            for (FaultOps.Op op : batch) {
                op.run(e, false);          // builds every kernel of the batch first
            }
            FaultInjection.fail(call, CL_DEVICE_NOT_AVAILABLE, skip, true);
            for (int i = 0; i < batch.size(); i++) {
                FaultOps.Op op = batch.get(i);
                FaultOps.Outcome got = op.run(e, i % 2 == 1);
                FaultOps.Outcome want = op.run(cpu, i % 2 == 1);
                if (i == 0) {
                    assertThat(e.backendKind()).as("the first call ran on the device").isEqualTo(BackendKind.OPENCL);
                    got.assertClose(op.toString(), want);
                } else {
                    assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
                    got.assertSameBits(op + " #" + i, want);
                }
            }
            assertThat(e.report().reason()).contains("fell back to the CPU").contains(call);
        }
        FaultInjection.clear();
        try (Engine e = Engine.openCl()) {
            for (FaultOps.Op op : batch) {
                op.run(e, false);
            }
            FaultInjection.fail(call, CL_DEVICE_NOT_AVAILABLE, skip, true);
            FaultOps.Call first = batch.get(0).scene(false);
            first.run(e);
            first.seal();
            for (int i = 1; i < batch.size(); i++) {
                FaultOps.Call s = batch.get(i).scene(i % 2 == 1);
                assertThatThrownBy(() -> s.run(e)).as("call %d", i).isInstanceOf(OpenClException.class)
                        .hasMessageContaining(call);
                s.assertUntouched();
            }
            first.assertUntouched();
        }
    }

    @Test
    void aFailedAutoEngineReleasesBothBackendsOnClose() {
        long before = ClObjects.live();
        Engine e = Engine.create(BackendChoice.AUTO);
        FaultOps.Op.SOFTMAX.run(e, false);
        FaultInjection.fail("clEnqueueNDRangeKernel", CL_OUT_OF_RESOURCES, 0, true);
        FaultOps.Op.SOFTMAX.run(e, false);
        assertThat(e.backendKind()).isEqualTo(BackendKind.CPU);
        assertThat(ClObjects.live()).isGreaterThan(before);
        e.close();
        assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(before);
    }
}
