package org.softmaxcl.backend;

import java.util.Random;

import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;

/**
 * Seeded cross-entropy tasks for timing a backend (the calibration of {@code Engine.auto()}, the
 * tuner): rows × cols logits drawn from N(0, 2²), uniform hard targets, and a fresh gradient buffer.
 */
public final class SampleBatches {
    private SampleBatches() {
    }

    /**
     * A checked task over a new random batch.
     *
     * @param rows N ≥ 1
     * @param cols K ≥ 1 (rows·cols within a Java array)
     * @param seed the seed of the logits and then the targets
     * @throws IllegalArgumentException for shapes {@link Checks#xent} refuses
     */
    public static XentTask hardTargets(int rows, int cols, long seed, XentOptions options) {
        Random r = new Random(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * r.nextGaussian());
        }
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = r.nextInt(cols);
        }
        return Checks.xent(FloatMatrix.of(x, rows, cols), Targets.hard(t), options,
                FloatMatrix.of(new float[rows * cols], rows, cols));
    }
}
