package org.softmaxcl.bench;

import java.util.Random;

import org.softmaxcl.BackendKind;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.cpu.CpuBackend;
import org.softmaxcl.opencl.OpenClBackend;

/** Inputs and engines shared by the benchmarks: a seeded batch with non-uniform logits. */
final class Batch {
    final int rows;
    final int cols;
    final float[] logits;
    final int[] targets;
    final float[] out;

    Batch(String shape, long seed) {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        cols = Integer.parseInt(p[1]);
        Random r = new Random(seed);
        logits = new float[rows * cols];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (2 * r.nextGaussian()) + (r.nextInt(64) == 0 ? 20f : 0f);
        }
        targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = r.nextInt(cols);
        }
        out = new float[rows * cols];
    }

    FloatMatrix x() {
        return FloatMatrix.of(logits, rows, cols);
    }

    FloatMatrix y() {
        return FloatMatrix.of(out, rows, cols);
    }

    /**
     * {@code cpu-vector}, {@code cpu-float32} (the plain-Java kernels of a JVM without the Vector
     * API module), {@code cpu-scalar} (the float64 reference kernels) or {@code opencl}, on
     * {@code threads} CPU threads.
     */
    static Engine engine(String backend, int threads) {
        switch (backend) {
            case "cpu-vector":
                return Engine.over(CpuBackend.vector(threads, "bench"));
            case "cpu-float32":
                return Engine.over(CpuBackend.float32(threads, "bench"));
            case "cpu-scalar":
                return Engine.over(CpuBackend.scalar(threads, "bench"));
            case "opencl":
                return Engine.over(OpenClBackend.open(null, null, "bench"));
            default:
                throw new IllegalArgumentException("backend must be cpu-vector, cpu-float32, cpu-scalar or opencl, got " + backend);
        }
    }

    static boolean isOpenCl(Engine e) {
        return e.backendKind() == BackendKind.OPENCL;
    }
}
