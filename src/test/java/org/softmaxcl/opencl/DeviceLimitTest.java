package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.softmaxcl.BackendChoice;
import org.softmaxcl.BackendKind;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Scene;
import org.softmaxcl.testing.Views;

/**
 * N·K above the device's largest allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE): the call is refused
 * with an {@link IllegalArgumentException} naming the argument, its shape, the device and the
 * limit, before anything of the caller's is written; the engine stays on its device (this is bad
 * input for that device, not a device failure) and works for calls that fit. The limit is lowered
 * through {@link FaultInjection#limitMaxAllocation} (PoCL allows 2 GiB, more than one Java array
 * or mapping can hold).
 */
@Tag("opencl")
class DeviceLimitTest {
    private static final int N = 64;
    private static final int K = 40;

    @AfterEach
    void clear() {
        FaultInjection.clear();
    }

    private static void refused(Engine e, Consumer<Engine> call, Scene s, String... message) {
        s.seal();
        assertThatThrownBy(() -> call.accept(e)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(message).hasMessageContaining("CL_DEVICE_MAX_MEM_ALLOC_SIZE = ");
        s.assertUntouched();
    }

    @Test
    void aBatchAboveTheDevicesLargestAllocationIsRefusedOnAutoAndExplicitEngines() {
        for (BackendChoice choice : new BackendChoice[] {BackendChoice.AUTO, BackendChoice.OPENCL}) {
            try (Engine e = Engine.create(choice)) {
                assertThat(e.backendKind()).isEqualTo(BackendKind.OPENCL);
                String device = e.report().device();
                String deviceName = device.substring(0, device.lastIndexOf(" ("));
                // The logits span N·K floats; one byte less than that is allowed.
                FaultInjection.limitMaxAllocation((long) N * K * Float.BYTES - 1);
                for (Views layout : new Views[] {Views.DENSE, Views.DIRECT_STRIDED}) {
                    Scene s = new Scene(layout, 3);
                    FloatMatrix x = s.logits(N, K);
                    FloatMatrix g = s.output(N, K);
                    int[] t = s.targets(N, K);
                    refused(e, en -> en.crossEntropyWithGradient(x, Targets.hard(t), XentOptions.DEFAULTS, g), s,
                            "logits " + N + "x" + K, "needs a device buffer of", deviceName);
                    FloatMatrix out = s.output(N, K);
                    refused(e, en -> en.softmax(x, out), s, "in " + N + "x" + K);
                    FloatMatrix y = s.logits(N, K);
                    refused(e, en -> en.softmaxBackward(y, x, out), s, "probs " + N + "x" + K);
                }
                assertThat(e.backendKind()).as("still on the device").isEqualTo(BackendKind.OPENCL);
                // Calls that fit still run on the device.
                float[] p = e.softmax(new float[8 * K], 8, K);
                assertThat(p[0]).isEqualTo(1f / K);
                FaultInjection.clear();
                float[] q = e.softmax(new float[N * K], N, K);
                assertThat(q[N * K - 1]).isEqualTo(1f / K);
            }
        }
    }

    @Test
    void aDeviceMatrixAboveTheLimitIsRefused() {
        try (Engine e = Engine.openCl()) {
            long live = ClObjects.live();
            FaultInjection.limitMaxAllocation((long) N * K * Float.BYTES - 1);
            assertThatThrownBy(() -> e.allocate(N, K)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a " + N + "x" + K + " device matrix needs " + N * K * Float.BYTES + " bytes")
                    .hasMessageContaining("CL_DEVICE_MAX_MEM_ALLOC_SIZE = ");
            assertThatThrownBy(() -> e.upload(FloatMatrix.of(new float[N * K], N, K))).isInstanceOf(IllegalArgumentException.class);
            assertThat(ClObjects.live()).as("nothing allocated").isEqualTo(live);
            FaultInjection.clear();
            try (org.softmaxcl.DeviceMatrix d = e.allocate(N, K)) {
                assertThat(d.onDevice()).isTrue();
            }
        }
    }

    @Test
    void theLimitAppliesToEveryBufferOfACall() {
        // K = 2 with row statistics: the per-row outputs (8 floats a row) outgrow the logits (2 a row).
        try (Engine e = Engine.openCl()) {
            int n = 1000;
            FaultInjection.limitMaxAllocation((long) n * 2 * Float.BYTES * 3);
            Scene s = new Scene(Views.DENSE, 4);
            FloatMatrix x = s.logits(n, 2);
            int[] t = s.targets(n, 2);
            refused(e, en -> en.crossEntropy(x, Targets.hard(t), XentOptions.builder().rowStats(true).build()), s,
                    "per-row outputs (" + n + " rows)");
            assertThat(e.crossEntropy(x, Targets.hard(t)).countedRows()).isEqualTo(n);
        }
    }
}
