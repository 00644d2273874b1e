package org.softmaxcl.cpu;

import org.softmaxcl.FloatMatrix;
import org.softmaxcl.backend.DeviceData;

/** The CPU backend's "device" matrix: a Java array, used in place through its view. */
final class HostData implements DeviceData {
    private final FloatMatrix view;

    HostData(int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix has " + n
                    + " elements, more than a Java array holds");
        }
        view = FloatMatrix.of(new float[(int) n], rows, cols);
    }

    @Override
    public int rows() {
        return view.rows();
    }

    @Override
    public int cols() {
        return view.cols();
    }

    @Override
    public void upload(FloatMatrix src) {
        for (int r = 0; r < view.rows(); r++) {
            src.getRow(r, view.array(), r * view.cols());
        }
    }

    @Override
    public void download(FloatMatrix dst) {
        for (int r = 0; r < view.rows(); r++) {
            dst.setRow(r, view.array(), r * view.cols());
        }
    }

    @Override
    public void zero() {
        java.util.Arrays.fill(view.array(), 0f);
    }

    @Override
    public FloatMatrix hostView() {
        return view;
    }

    @Override
    public void close() {
        // garbage-collected
    }
}
