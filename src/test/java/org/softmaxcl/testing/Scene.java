package org.softmaxcl.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.softmaxcl.FloatMatrix;

/**
 * The caller's arrays and buffers of one call, so that a test can prove a refused call wrote
 * nothing: every storage a scene hands out is recorded, {@link #seal()} copies its bytes, and
 * {@link #assertUntouched()} compares them after the call. Matrices take the storage layout of a
 * {@link Views} value (dense or strided, array or direct buffer); inputs hold seeded Gaussian
 * values, outputs a NaN payload no kernel writes ({@link #SENTINEL}).
 */
public final class Scene {
    /** The value outputs start with: a NaN with a payload no computation produces. */
    public static final float SENTINEL = Float.intBitsToFloat(0x7fc5a5a5);

    private final Views layout;
    private final Data data;
    private final List<Object> storages = new ArrayList<>();
    private final List<int[]> sealed = new ArrayList<>();

    public Scene(Views layout, long seed) {
        this.layout = layout;
        this.data = new Data(seed);
    }

    public Data data() {
        return data;
    }

    /** An n × k view of seeded logits in this scene's layout. */
    public FloatMatrix logits(int n, int k) {
        return matrix(data.logits(n, k, 2), n, k);
    }

    /** An n × k output view filled with {@link #SENTINEL}. */
    public FloatMatrix output(int n, int k) {
        return track(layout.filled(n, k, SENTINEL));
    }

    /** A view of {@code dense} (n × k values) in this scene's layout. */
    public FloatMatrix matrix(float[] dense, int n, int k) {
        return track(layout.of(dense, n, k));
    }

    /** Two n × k views of one storage, the second starting one row after the first (they overlap). */
    public FloatMatrix[] overlapping(int n, int k) {
        FloatMatrix a = matrix(data.logits(n + 1, k, 2), n + 1, k);
        int stride = a.stride();
        if (a.hasArray()) {
            return new FloatMatrix[] {FloatMatrix.of(a.array(), a.offset(), n, k, stride),
                    FloatMatrix.of(a.array(), a.offset() + stride, n, k, stride)};
        }
        FloatBuffer b = a.buffer();
        int position = b.position();
        FloatMatrix first = FloatMatrix.of(b, n, k, stride);
        b.position(position + stride);
        FloatMatrix second = FloatMatrix.of(b, n, k, stride);
        b.position(position);
        return new FloatMatrix[] {first, second};
    }

    /** A read-only direct buffer view of n × k values. */
    public FloatMatrix readOnly(int n, int k) {
        FloatBuffer b = ByteBuffer.allocateDirect(n * k * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        storages.add(b);
        return FloatMatrix.of(b.asReadOnlyBuffer(), n, k);
    }

    /** Hard targets in [0, k), recorded. */
    public int[] targets(int n, int k) {
        return track(data.targets(n, k, 0, -100));
    }

    /** Soft target rows (n × k, finite, ≥ 0) in this scene's layout. */
    public FloatMatrix softTargets(int n, int k) {
        return matrix(data.softTargets(n, k), n, k);
    }

    /** {@code v}, recorded. */
    public int[] track(int[] v) {
        storages.add(v);
        return v;
    }

    /** {@code v}, recorded. */
    public float[] track(float[] v) {
        storages.add(v);
        return v;
    }

    private FloatMatrix track(FloatMatrix m) {
        storages.add(m.hasArray() ? m.array() : m.buffer());
        return m;
    }

    /** Copies the bytes of every storage handed out so far. */
    public void seal() {
        sealed.clear();
        for (Object s : storages) {
            sealed.add(bits(s));
        }
    }

    /** Every storage holds the bytes it held at {@link #seal()} (and buffers the same position). */
    public void assertUntouched() {
        assertThat(sealed).as("seal() was called").hasSameSizeAs(storages);
        for (int i = 0; i < storages.size(); i++) {
            assertThat(bits(storages.get(i))).as("storage %d of %s", i, this).isEqualTo(sealed.get(i));
        }
    }

    /** The raw bits of a storage (floats as int bits, so NaN payloads count; a buffer's position last). */
    private static int[] bits(Object s) {
        if (s instanceof int[]) {
            return ((int[]) s).clone();
        }
        if (s instanceof float[]) {
            float[] f = (float[]) s;
            int[] bits = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                bits[i] = Float.floatToRawIntBits(f[i]);
            }
            return bits;
        }
        FloatBuffer b = (FloatBuffer) s;
        int[] bits = new int[b.capacity() + 1];
        for (int i = 0; i < b.capacity(); i++) {
            bits[i] = Float.floatToRawIntBits(b.get(i));
        }
        bits[b.capacity()] = b.position();
        return bits;
    }

    @Override
    public String toString() {
        return layout + " scene";
    }
}
