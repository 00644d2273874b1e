package org.softmaxcl;

import java.util.Objects;

import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.DeviceData;

/**
 * A dense float32 matrix of N rows × K columns that stays with an engine's backend between calls:
 * in device memory on OpenCL (the logits go up once; a cross-entropy call then reads back the loss
 * as one number), in a Java array on the CPU backend (the same calls, no copies). Made by
 * {@link Engine#allocate(int, int)} or {@link Engine#upload(FloatMatrix)}; used by the engine's
 * {@code DeviceMatrix} overloads; released by {@link #close()} or with its engine.
 *
 * <p>Thread-safe. Calls on a matrix after it or its engine was closed throw
 * {@link IllegalStateException}; a matrix used with another engine than its own throws
 * {@link IllegalArgumentException}.
 */
public final class DeviceMatrix implements AutoCloseable {
    final Engine engine;
    final Backend owner;
    final DeviceData data;
    /** The shape for argument checks (identity marks in-place use). */
    final FloatMatrix shape;
    private volatile boolean closed;

    DeviceMatrix(Engine engine, Backend owner, DeviceData data) {
        this.engine = engine;
        this.owner = owner;
        this.data = data;
        this.shape = data.hostView() != null ? data.hostView() : FloatMatrix.shapeOf(data.rows(), data.cols());
    }

    /** Number of rows N. */
    public int rows() {
        return data.rows();
    }

    /** Number of columns K. */
    public int cols() {
        return data.cols();
    }

    /** True when the matrix lives in device memory (false on the CPU backend). */
    public boolean onDevice() {
        return data.hostView() == null;
    }

    /**
     * Copies {@code src} (same shape, any stride or storage) into this matrix.
     *
     * @throws IllegalArgumentException when the shapes differ
     */
    public void upload(FloatMatrix src) {
        Objects.requireNonNull(src, "src");
        sameShape("src", src);
        engine.withMatrix(this, () -> data.upload(src));
    }

    /**
     * Copies this matrix into {@code dst} (same shape).
     *
     * @throws IllegalArgumentException when the shapes differ or {@code dst} is read-only
     */
    public void download(FloatMatrix dst) {
        Objects.requireNonNull(dst, "dst");
        sameShape("dst", dst);
        if (dst.buffer() != null && dst.buffer().isReadOnly()) {
            throw new IllegalArgumentException("dst: a read-only buffer cannot receive results");
        }
        engine.withMatrix(this, () -> data.download(dst));
    }

    /** The matrix in a new dense {@code float[rows·cols]}. */
    public float[] toArray() {
        float[] a = new float[Math.toIntExact((long) rows() * cols())];
        download(FloatMatrix.of(a, rows(), cols()));
        return a;
    }

    private void sameShape(String name, FloatMatrix m) {
        if (m.rows() != rows() || m.cols() != cols()) {
            throw new IllegalArgumentException(name + " is " + m.rows() + "x" + m.cols() + " but the device matrix is "
                    + rows() + "x" + cols());
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Releases the memory. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            data.close();
        }
    }

    @Override
    public String toString() {
        return "DeviceMatrix[" + rows() + "x" + cols() + (onDevice() ? ", device" : ", host") + (closed ? ", closed" : "") + "]";
    }
}
