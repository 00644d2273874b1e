package org.softmaxcl;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A view of a row-major float32 matrix of {@code rows × cols} values, backed either by a
 * {@code float[]} or by a {@link FloatBuffer} (heap, or direct in native byte order).
 *
 * <p>Element {@code (r, c)} lives at index {@code offset + r·stride + c} of the backing storage;
 * {@code stride ≥ cols} lets a view skip padding at the end of each row. The view holds no copy:
 * the library reads inputs and writes outputs in place, and never keeps a reference after a call
 * returns. A {@code FloatBuffer}'s position is the origin of the view; its position and limit are
 * never changed by the library.
 *
 * <p>Shapes: {@code rows ≥ 0}, {@code cols ≥ 1}. Every factory throws {@link
 * IllegalArgumentException} (naming the argument and value) when the storage is too short for the
 * shape, when a number is out of range, or when a direct buffer is not in native byte order, and
 * {@link NullPointerException} for a null storage.
 */
public final class FloatMatrix {
    private final float[] array;
    private final FloatBuffer buffer;
    private final int offset;
    private final int rows;
    private final int cols;
    private final int stride;

    private FloatMatrix(float[] array, FloatBuffer buffer, int offset, int rows, int cols, int stride) {
        this.array = array;
        this.buffer = buffer;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
        this.stride = stride;
    }

    /**
     * The shape of a device-resident matrix: no host storage (every element access throws
     * {@link IllegalStateException}). Only the engine makes these, for argument checks.
     */
    static FloatMatrix shapeOf(int rows, int cols) {
        checkShape(0, rows, cols, cols, Integer.MAX_VALUE, "size");
        return new FloatMatrix(null, null, 0, rows, cols, cols);
    }

    /** False for the shape of a device-resident matrix, which has no host storage. */
    public boolean hasStorage() {
        return array != null || buffer != null;
    }

    private void requireStorage() {
        if (array == null && buffer == null) {
            throw new IllegalStateException("a device-resident matrix has no host storage: download it first");
        }
    }

    /** A dense {@code rows × cols} view of {@code data} from index 0 (stride = cols). */
    public static FloatMatrix of(float[] data, int rows, int cols) {
        return of(data, 0, rows, cols, cols);
    }

    /**
     * A view of {@code data} starting at {@code offset}, each row {@code stride} floats apart.
     *
     * @param data   the storage. Not copied.
     * @param offset index of element (0, 0), ≥ 0
     * @param rows   number of rows N, ≥ 0
     * @param cols   number of classes K, ≥ 1
     * @param stride distance between row starts in floats, ≥ cols
     */
    public static FloatMatrix of(float[] data, int offset, int rows, int cols, int stride) {
        Objects.requireNonNull(data, "data");
        checkShape(offset, rows, cols, stride, data.length, "data.length");
        return new FloatMatrix(data, null, offset, rows, cols, stride);
    }

    /** A dense view of {@code buffer} from its current position. */
    public static FloatMatrix of(FloatBuffer buffer, int rows, int cols) {
        return of(buffer, rows, cols, cols);
    }

    /**
     * A view of {@code buffer} from its current position with the given row stride. A heap buffer
     * is used through its array; a direct buffer must be in {@link ByteOrder#nativeOrder()}.
     */
    public static FloatMatrix of(FloatBuffer buffer, int rows, int cols, int stride) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.hasArray() && !buffer.isReadOnly()) {
            int base = buffer.arrayOffset() + buffer.position();
            checkShape(0, rows, cols, stride, buffer.remaining(), "buffer.remaining()");
            return new FloatMatrix(buffer.array(), null, base, rows, cols, stride);
        }
        if (buffer.isDirect() && buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException("buffer: a direct buffer must be in native byte order ("
                    + ByteOrder.nativeOrder() + "), got " + buffer.order());
        }
        checkShape(0, rows, cols, stride, buffer.remaining(), "buffer.remaining()");
        return new FloatMatrix(null, buffer, buffer.position(), rows, cols, stride);
    }

    private static void checkShape(int offset, int rows, int cols, int stride, int length, String lengthName) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be >= 1, got " + cols);
        }
        if (stride < cols) {
            throw new IllegalArgumentException("stride must be >= cols (" + cols + "), got " + stride);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        long need = rows == 0 ? 0 : (long) (rows - 1) * stride + cols;
        if (offset + need > length) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix with stride " + stride
                    + " at offset " + offset + " needs " + (offset + need) + " floats, but " + lengthName
                    + " is " + length);
        }
    }

    /** Number of rows N. */
    public int rows() {
        return rows;
    }

    /** Number of columns (classes) K. */
    public int cols() {
        return cols;
    }

    /** Distance between the starts of two consecutive rows, in floats. */
    public int stride() {
        return stride;
    }

    /** Number of elements N·K as a long. */
    public long size() {
        return (long) rows * cols;
    }

    /** True when the storage is a {@code float[]} (possibly the array behind a heap buffer). */
    public boolean hasArray() {
        return array != null;
    }

    /** The backing array, or null for a direct buffer. */
    public float[] array() {
        return array;
    }

    /** The backing direct buffer, or null for array storage. */
    public FloatBuffer buffer() {
        return buffer;
    }

    /** Index of element (0, 0) in the backing storage. */
    public int offset() {
        return offset;
    }

    /** Index of element (row, 0) in the backing storage. */
    public int rowStart(int row) {
        return offset + row * stride;
    }

    /** Element (row, col). */
    public float get(int row, int col) {
        requireStorage();
        int i = rowStart(row) + col;
        return array != null ? array[i] : buffer.get(i);
    }

    /** Sets element (row, col). */
    public void set(int row, int col, float value) {
        requireStorage();
        int i = rowStart(row) + col;
        if (array != null) {
            array[i] = value;
        } else {
            buffer.put(i, value);
        }
    }

    /** Copies row {@code row} into {@code dst[dstOffset ..]}. */
    public void getRow(int row, float[] dst, int dstOffset) {
        requireStorage();
        if (array != null) {
            System.arraycopy(array, rowStart(row), dst, dstOffset, cols);
        } else {
            buffer.get(rowStart(row), dst, dstOffset, cols);
        }
    }

    /** Copies {@code src[srcOffset ..]} into row {@code row}. */
    public void setRow(int row, float[] src, int srcOffset) {
        requireStorage();
        if (array != null) {
            System.arraycopy(src, srcOffset, array, rowStart(row), cols);
        } else {
            buffer.put(rowStart(row), src, srcOffset, cols);
        }
    }

    /** Copies the matrix into a new dense {@code float[rows·cols]}. */
    public float[] toArray() {
        float[] out = new float[Math.toIntExact(size())];
        for (int r = 0; r < rows; r++) {
            getRow(r, out, r * cols);
        }
        return out;
    }

    /** True when both views have the same storage, origin and stride (an in-place pair). */
    public boolean sameViewAs(FloatMatrix o) {
        return sameStorage(o) && offset == o.offset && stride == o.stride;
    }

    /** True when both views are backed by the same array or buffer. */
    public boolean sameStorage(FloatMatrix o) {
        if (array != null) {
            return array == o.array;
        }
        if (buffer == null) {
            return this == o;   // two shapes of device matrices: the same matrix only
        }
        return buffer == o.buffer;
    }

    /** True when the index ranges of the two views overlap in the same storage. */
    public boolean overlaps(FloatMatrix o) {
        if (!sameStorage(o) || rows == 0 || o.rows == 0) {
            return false;
        }
        long a0 = offset, a1 = offset + (long) (rows - 1) * stride + cols;
        long b0 = o.offset, b1 = o.offset + (long) (o.rows - 1) * o.stride + o.cols;
        return a0 < b1 && b0 < a1;
    }

    @Override
    public String toString() {
        return "FloatMatrix[" + rows + "x" + cols + (stride != cols ? ", stride " + stride : "")
                + (array != null ? ", float[]" : ", direct buffer") + "]";
    }
}
