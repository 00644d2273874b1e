package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's validation table, factory half: what {@link FloatMatrix} and {@link Targets}
 * factories, {@link XentOptions.Builder} and {@link SoftmaxOptions} setters, the engine factories
 * and {@link Engine#jacobian} refuse, with the exception type and the message (the argument and
 * the value), beside what {@code OptionValidationTest} checks already (the builder's main range
 * checks). Backend-independent: these checks run before any backend is involved.
 */
class FactoryChecksTest {

    /** One refused factory or setter call. */
    record Refused(String what, ThrowingCallable call, Class<? extends RuntimeException> type, String message) {
        @Override
        public String toString() {
            return what;
        }
    }

    private static Refused iae(String what, ThrowingCallable call, String message) {
        return new Refused(what, call, IllegalArgumentException.class, message);
    }

    private static Refused npe(String what, ThrowingCallable call, String message) {
        return new Refused(what, call, NullPointerException.class, message);
    }

    static List<Refused> refused() {
        float[] a = new float[20];
        FloatBuffer direct = ByteBuffer.allocateDirect(80).order(ByteOrder.nativeOrder()).asFloatBuffer();
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        FloatBuffer swapped = ByteBuffer.allocateDirect(80).order(other).asFloatBuffer();
        List<Refused> r = new ArrayList<>();
        // FloatMatrix
        r.add(npe("FloatMatrix.of(null float[])", () -> FloatMatrix.of((float[]) null, 4, 5), "data"));
        r.add(npe("FloatMatrix.of(null FloatBuffer)", () -> FloatMatrix.of((FloatBuffer) null, 4, 5), "buffer"));
        r.add(iae("FloatMatrix rows < 0", () -> FloatMatrix.of(a, -1, 5), "rows must be >= 0, got -1"));
        r.add(iae("FloatMatrix cols < 1", () -> FloatMatrix.of(a, 4, 0), "cols must be >= 1, got 0"));
        r.add(iae("FloatMatrix stride < cols", () -> FloatMatrix.of(a, 0, 4, 5, 4), "stride must be >= cols (5), got 4"));
        r.add(iae("FloatMatrix offset < 0", () -> FloatMatrix.of(a, -1, 3, 5, 5), "offset must be >= 0, got -1"));
        r.add(iae("FloatMatrix array too short", () -> FloatMatrix.of(a, 1, 4, 5, 5),
                "a 4x5 matrix with stride 5 at offset 1 needs 21 floats, but data.length is 20"));
        r.add(iae("FloatMatrix N*K above a Java array", () -> FloatMatrix.of(a, 65536, 65536),
                "needs 4294967296 floats, but data.length is 20"));
        r.add(iae("FloatMatrix offset + N*stride above int", () -> FloatMatrix.of(a, Integer.MAX_VALUE, 2, 5, 5),
                "needs 2147483657 floats"));
        r.add(iae("FloatMatrix buffer too short", () -> FloatMatrix.of(direct, 4, 5, 6),
                "needs 23 floats, but buffer.remaining() is 20"));
        r.add(iae("FloatMatrix direct buffer not in native order", () -> FloatMatrix.of(swapped, 4, 5),
                "buffer: a direct buffer must be in native byte order"));
        // Targets
        r.add(npe("Targets.hard(null int[])", () -> Targets.hard((int[]) null), "classes"));
        r.add(npe("Targets.hard(null long[])", () -> Targets.hard((long[]) null), "classes"));
        r.add(npe("Targets.soft(null)", () -> Targets.soft(null), "distribution"));
        // XentOptions.Builder
        r.add(npe("reduction(null)", () -> XentOptions.builder().reduction(null), "reduction"));
        r.add(iae("labelSmoothing < 0", () -> XentOptions.builder().labelSmoothing(-0.1f), "labelSmoothing must be in [0, 1], got -0.1"));
        r.add(iae("classWeights +Infinity", () -> XentOptions.builder().classWeights(new float[] {1, Float.POSITIVE_INFINITY}),
                "classWeights[1] must be finite and >= 0, got Infinity"));
        r.add(iae("temperature NaN", () -> XentOptions.builder().temperature(Float.NaN), "temperature must be finite and > 0, got NaN"));
        r.add(npe("rowTemperatures(null)", () -> XentOptions.builder().rowTemperatures(null), "rowTemperatures"));
        r.add(iae("rowTemperatures NaN", () -> XentOptions.builder().rowTemperatures(new float[] {Float.NaN}),
                "rowTemperatures[0] must be finite and > 0, got NaN"));
        r.add(iae("softcap NaN", () -> XentOptions.builder().softcap(Float.NaN), "softcap must be finite and > 0, got NaN"));
        r.add(iae("zLoss NaN", () -> XentOptions.builder().zLoss(Float.NaN), "zLoss must be finite and >= 0, got NaN"));
        r.add(iae("sampleWeights NaN", () -> XentOptions.builder().sampleWeights(new float[] {Float.NaN}),
                "sampleWeights[0] must be finite and >= 0, got NaN"));
        r.add(iae("gradScale -Infinity", () -> XentOptions.builder().gradScale(Float.NEGATIVE_INFINITY),
                "gradScale must be finite, got -Infinity"));
        r.add(npe("rowGradScales(null)", () -> XentOptions.builder().rowGradScales(null), "rowGradScales"));
        r.add(npe("emptyMean(null)", () -> XentOptions.builder().emptyMean(null), "emptyMean"));
        r.add(npe("nonFinite(null)", () -> XentOptions.builder().nonFinite(null), "nonFinite"));
        // SoftmaxOptions
        r.add(iae("SoftmaxOptions.withTemperature NaN", () -> SoftmaxOptions.DEFAULTS.withTemperature(Float.NaN),
                "temperature must be finite and > 0, got NaN"));
        r.add(npe("SoftmaxOptions.withRowTemperatures(null)", () -> SoftmaxOptions.DEFAULTS.withRowTemperatures(null),
                "rowTemperatures"));
        r.add(iae("SoftmaxOptions.withRowTemperatures -1", () -> SoftmaxOptions.DEFAULTS.withRowTemperatures(new float[] {2, -1}),
                "rowTemperatures[1] must be finite and > 0, got -1.0"));
        r.add(npe("SoftmaxOptions.withNonFinite(null)", () -> SoftmaxOptions.DEFAULTS.withNonFinite(null), "nonFinite"));
        // Engine factories and the Jacobian
        r.add(npe("Engine.create(null)", () -> Engine.create(null), "choice"));
        r.add(npe("Engine.over(null)", () -> Engine.over(null), "backend"));
        r.add(iae("BackendChoice.parse", () -> BackendChoice.parse("gpu", "--backend"), "--backend must be auto, cpu or opencl, got 'gpu'"));
        r.add(iae("allocate rows < 0", () -> onCpu(e -> e.allocate(-1, 5)), "rows must be >= 0, got -1"));
        r.add(iae("allocate cols < 1", () -> onCpu(e -> e.allocate(3, 0)), "cols must be >= 1, got 0"));
        r.add(iae("allocate N*K above an array", () -> onCpu(e -> e.allocate(65536, 65536)), "needs 4294967296 floats"));
        r.add(npe("upload(null)", () -> onCpu(e -> e.upload(null)), "src"));
        r.add(iae("DeviceMatrix.download into a read-only buffer", () -> onCpu(e -> {
            e.allocate(2, 3).download(FloatMatrix.of(FloatBuffer.wrap(new float[6]).asReadOnlyBuffer(), 2, 3));
            return null;
        }), "dst: a read-only buffer cannot receive results"));
        r.add(iae("DeviceMatrix.download of another shape", () -> onCpu(e -> {
            e.allocate(2, 3).download(FloatMatrix.of(new float[6], 3, 2));
            return null;
        }), "dst is 3x2 but the device matrix is 2x3"));
        r.add(npe("jacobian(null)", () -> jacobian(null, 1f), "row"));
        r.add(iae("jacobian K = 0", () -> jacobian(new float[0], 1f), "row: K must be in [1, 4096], got 0"));
        r.add(iae("jacobian K = 4097", () -> jacobian(new float[4097], 1f), "row: K must be in [1, 4096], got 4097"));
        r.add(iae("jacobian NaN", () -> jacobian(new float[] {0, Float.NaN}, 1f), "row[1] = NaN must be finite"));
        r.add(iae("jacobian -Infinity", () -> jacobian(new float[] {Float.NEGATIVE_INFINITY}, 1f), "row[0] = -Infinity must be finite"));
        r.add(iae("jacobian T = 0", () -> jacobian(new float[] {1}, 0f), "temperature must be finite and > 0, got 0.0"));
        return r;
    }

    private static Object onCpu(java.util.function.Function<Engine, Object> call) {
        try (Engine e = Engine.cpu()) {
            return call.apply(e);
        }
    }

    private static float[] jacobian(float[] row, float t) {
        try (Engine e = Engine.cpu()) {
            return e.jacobian(row, t);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void isRefusedWithTheDocumentedMessage(Refused r) {
        assertThatThrownBy(r.call()).isInstanceOf(r.type()).hasMessageContaining(r.message());
    }

    @Test
    void aRefusedSetterLeavesTheBuilderAsItWasAndOptionsNeverChange() {
        XentOptions.Builder b = XentOptions.builder().temperature(2f).labelSmoothing(0.25f);
        assertThatThrownBy(() -> b.temperature(0f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.labelSmoothing(2f)).isInstanceOf(IllegalArgumentException.class);
        float[] w = {1, 2, 3};
        XentOptions o = b.classWeights(w).build();
        w[0] = -5;
        assertThat(o.temperature()).isEqualTo(2f);
        assertThat(o.labelSmoothing()).isEqualTo(0.25f);
        assertThat(o.classWeights()).containsExactly(1, 2, 3);
        o.classWeights()[1] = 99;
        assertThat(o.classWeight(1)).isEqualTo(2f);
    }

    @Test
    void emptyArraysAreAcceptedWhereTheShapeAllowsThem() {
        try (Engine e = Engine.cpu()) {
            FloatMatrix x = FloatMatrix.of(new float[0], 0, 5);
            XentResult r = e.crossEntropyWithGradient(x, Targets.hard(new int[0]),
                    XentOptions.builder().rowTemperatures(new float[0]).sampleWeights(new float[0]).build(),
                    FloatMatrix.of(new float[0], 0, 5));
            assertThat(r.loss()).isZero();
            assertThat(r.countedRows()).isZero();
            e.softmax(x, FloatMatrix.of(new float[0], 0, 5));
        }
    }
}
