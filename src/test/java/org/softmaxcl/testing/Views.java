package org.softmaxcl.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

import org.softmaxcl.FloatMatrix;

/**
 * The storage layouts a {@link FloatMatrix} can have, to run every check on each: a dense array,
 * an array view at an offset with a row stride larger than K (padding that must never be
 * touched), and direct native-order buffers, dense and strided.
 */
public enum Views {
    DENSE(false, 0, 0),
    STRIDED(false, 3, 5),
    DIRECT(true, 0, 0),
    DIRECT_STRIDED(true, 2, 3);

    /** Value of the padding floats around a strided view. */
    public static final float PAD = -12345.5f;

    private final boolean direct;
    private final int offset;
    private final int extra;

    Views(boolean direct, int offset, int extra) {
        this.direct = direct;
        this.offset = offset;
        this.extra = extra;
    }

    /** A view of this layout holding a copy of the dense {@code n × k} values; padding = {@link #PAD}. */
    public FloatMatrix of(float[] dense, int n, int k) {
        int stride = k + extra;
        int length = offset + n * stride + extra;
        if (direct) {
            FloatBuffer b = ByteBuffer.allocateDirect(length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = 0; i < length; i++) {
                b.put(i, PAD);
            }
            b.position(offset);      // the view's origin is the buffer's position
            FloatMatrix m = FloatMatrix.of(b, n, k, stride);
            copyIn(m, dense);
            return m;
        }
        float[] a = new float[length];
        Arrays.fill(a, PAD);
        FloatMatrix m = FloatMatrix.of(a, offset, n, k, stride);
        copyIn(m, dense);
        return m;
    }

    /** A view of this layout with every element set to {@code fill}. */
    public FloatMatrix filled(int n, int k, float fill) {
        float[] dense = new float[n * k];
        Arrays.fill(dense, fill);
        return of(dense, n, k);
    }

    /** True when every float outside the view (padding) still holds {@link #PAD}. */
    public static boolean paddingIntact(FloatMatrix m) {
        int n = m.rows();
        int k = m.cols();
        int stride = m.stride();
        int length = m.hasArray() ? m.array().length : m.buffer().capacity();
        for (int i = 0; i < length; i++) {
            int rel = i - m.offset();
            boolean inside = rel >= 0 && rel / stride < n && rel % stride < k;
            if (!inside) {
                float v = m.hasArray() ? m.array()[i] : m.buffer().get(i);
                if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(PAD)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void copyIn(FloatMatrix m, float[] dense) {
        for (int r = 0; r < m.rows(); r++) {
            m.setRow(r, dense, r * m.cols());
        }
    }
}
