package org.softmaxcl.opencl;

import java.util.function.ToDoubleFunction;

import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Scene;
import org.softmaxcl.testing.Views;

/**
 * The operations the fault tests run, each on fixed seeded inputs (N = 37, K = 53), out of place
 * or in place, either to get the outputs ({@link #run}) or as a {@link Call} whose storages can be
 * proved untouched after a failure.
 */
final class FaultOps {
    static final int N = 37;
    static final int K = 53;
    /** Options whose xent kernel variant (weights, smoothing) is not built at warm-up. */
    static final XentOptions XENT_OPTIONS = XentOptions.builder().labelSmoothing(0.05f)
            .classWeights(new Data(5).uniforms(K, 0.5, 2)).build();

    private FaultOps() {
    }

    /** What an operation wrote: its output matrix and, for cross-entropy, the loss. */
    record Outcome(float[] out, double loss) {
        void assertSameBits(String what, Outcome want) {
            Compare.assertSameBits(what, want.out, out);
            if (Double.doubleToLongBits(loss) != Double.doubleToLongBits(want.loss)) {
                throw new AssertionError(what + ": loss " + loss + ", expected " + want.loss);
            }
        }

        /** Close to {@code want} (another backend's rounding). */
        void assertClose(String what, Outcome want) {
            Compare.check(what, Compare.widen(want.out), Compare.widen(out), 1e-6, 1e-4);
            Compare.check(what + " loss", new double[] {want.loss}, new double[] {loss}, 1e-6, 1e-5);
        }
    }

    /** A prepared call: its arguments live in a sealed {@link Scene}. */
    static final class Call {
        private final Scene scene;
        private final ToDoubleFunction<Engine> call;
        private final FloatMatrix out;

        private Call(Scene scene, ToDoubleFunction<Engine> call, FloatMatrix out) {
            this.scene = scene;
            this.call = call;
            this.out = out;
            scene.seal();
        }

        /** Makes the call; returns the loss (0 for other operations than cross-entropy). */
        double run(Engine e) {
            return call.applyAsDouble(e);
        }

        void seal() {
            scene.seal();
        }

        void assertUntouched() {
            scene.assertUntouched();
        }
    }

    enum Op {
        XENT("xent"), SOFTMAX("softmax"), LOG_SOFTMAX("softmax"), BACKWARD("softmax"), LOG_BACKWARD("softmax");

        private final String file;

        Op(String file) {
            this.file = file;
        }

        /** A fragment of the kernel file's name. */
        String file() {
            return file;
        }

        /** Runs the operation on {@code e} and returns what it wrote. */
        Outcome run(Engine e, boolean inPlace) {
            Call c = scene(inPlace);
            double loss = c.run(e);
            return new Outcome(c.out.toArray(), loss);
        }

        /** The call's arguments in a fresh scene (dense arrays), sealed. */
        Call scene(boolean inPlace) {
            Scene s = new Scene(Views.DENSE, 11 + ordinal());
            Data d = s.data();
            FloatMatrix x = s.matrix(d.logits(N, K, 3), N, K);
            switch (this) {
                case XENT: {
                    int[] t = s.targets(N, K);
                    FloatMatrix g = inPlace ? x : s.output(N, K);
                    return new Call(s, e -> e.crossEntropyWithGradient(x, Targets.hard(t), XENT_OPTIONS, g).loss(), g);
                }
                case SOFTMAX:
                case LOG_SOFTMAX: {
                    FloatMatrix out = inPlace ? x : s.output(N, K);
                    return new Call(s, e -> {
                        if (this == SOFTMAX) {
                            e.softmax(x, out);
                        } else {
                            e.logSoftmax(x, out);
                        }
                        return 0;
                    }, out);
                }
                default: {
                    float[] probs = new float[N * K];
                    try (Engine cpu = Engine.cpu()) {
                        if (this == BACKWARD) {
                            cpu.softmax(x, FloatMatrix.of(probs, N, K));
                        } else {
                            cpu.logSoftmax(x, FloatMatrix.of(probs, N, K));
                        }
                    }
                    FloatMatrix y = s.matrix(probs, N, K);
                    FloatMatrix g = s.matrix(d.logits(N, K, 1), N, K);
                    FloatMatrix dx = inPlace ? g : s.output(N, K);
                    return new Call(s, e -> {
                        if (this == BACKWARD) {
                            e.softmaxBackward(y, g, dx);
                        } else {
                            e.logSoftmaxBackward(y, g, dx);
                        }
                        return 0;
                    }, dx);
                }
            }
        }
    }
}
