package org.softmaxcl;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Shapes;
import org.softmaxcl.testing.Shapes.Shape;
import org.softmaxcl.testing.SoftmaxCase;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Shapes from K = 1 to 131072 and N = 1 to 100000, and rows of extreme logits, on every backend
 * against {@link org.softmaxcl.reference.Reference64}: cross-entropy with hard and soft targets
 * (loss, row losses, gradient), softmax and log-softmax. Each shape uses one storage layout in
 * turn (dense, strided with padding, direct buffer, strided direct buffer). Tolerances: see
 * {@link XentCase} and {@link SoftmaxCase}.
 */
abstract class ShapesAndExtremes extends BackendTest {
    private static final List<Shape> SWEEP = Shapes.sweep();
    private static final List<Shape> EXTREMES = Shapes.extremes();

    Stream<Arguments> sweep() {
        return cross(SWEEP);
    }

    Stream<Arguments> extremes() {
        return cross(EXTREMES);
    }

    private static Views layoutOf(List<Shape> list, Shape s) {
        return Views.values()[list.indexOf(s) % Views.values().length];
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sweep")
    void crossEntropyOnEveryShape(Backends backend, Shape s) {
        Views layout = layoutOf(SWEEP, s);
        // Row statistics on: checked on every shape too (and the OpenCL programs are the extremes' ones).
        XentCase hard = new XentCase(s.name(), s.n(), s.k(), s.x(), s.hard(), null,
                XentOptions.builder().rowStats(true).build());
        hard.check(backend + " " + layout, hard.run(backend.engine(), layout, true));
        XentCase soft = new XentCase(s.name(), s.n(), s.k(), s.x(), null, s.soft(),
                XentOptions.builder().reduction(Reduction.SUM).rowStats(true).build());
        soft.check(backend + " " + layout, soft.run(backend.engine(), layout, true));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("sweep")
    void softmaxOnEveryShape(Backends backend, Shape s) {
        Views layout = layoutOf(SWEEP, s);
        SoftmaxCase c = new SoftmaxCase(s.name(), s.n(), s.k(), s.x(), 1f, null);
        c.check(backend + " " + layout, c.run(backend.engine(), layout, false), false);
        c.check(backend + " " + layout, c.run(backend.engine(), layout, true), true);
    }

    /** Extreme rows, with T = 1, T = 0.5 (exact scaling) and a soft-cap; per-row losses (reduction none) and statistics. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("extremes")
    void crossEntropyOnExtremeRows(Backends backend, Shape s) {
        Views layout = layoutOf(EXTREMES, s);
        XentOptions[] options = {
            XentOptions.builder().reduction(Reduction.NONE).rowStats(true).build(),
            XentOptions.builder().reduction(Reduction.NONE).rowStats(true).temperature(0.5f).build(),
            XentOptions.builder().reduction(Reduction.NONE).rowStats(true).softcap(30f).build(),
        };
        for (XentOptions o : options) {
            XentCase hard = new XentCase(s.name(), s.n(), s.k(), s.x(), s.hard(), null, o);
            hard.check(backend + " " + layout, hard.run(backend.engine(), layout, true));
            XentCase soft = new XentCase(s.name(), s.n(), s.k(), s.x(), null, s.soft(), o);
            soft.check(backend + " " + layout, soft.run(backend.engine(), layout, true));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("extremes")
    void softmaxOnExtremeRows(Backends backend, Shape s) {
        Views layout = layoutOf(EXTREMES, s);
        for (float t : new float[] {1f, 0.5f}) {
            SoftmaxCase c = new SoftmaxCase(s.name(), s.n(), s.k(), s.x(), t, null);
            c.check(backend + " " + layout, c.run(backend.engine(), layout, false), false);
            c.check(backend + " " + layout, c.run(backend.engine(), layout, true), true);
        }
    }

    /** Scalar temperatures that are not powers of two, and one temperature per row. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxTemperatures(Backends backend) {
        Data d = new Data(99);
        int n = 7;
        int k = 50;
        float[] x = d.logits(n, k, 4);
        for (SoftmaxCase c : List.of(new SoftmaxCase("T=0.3", n, k, x, 0.3f, null),
                new SoftmaxCase("T=3.7", n, k, x, 3.7f, null),
                new SoftmaxCase("rowT", n, k, x, 1f, d.uniforms(n, 0.2, 5)))) {
            for (boolean log : new boolean[] {false, true}) {
                c.check(backend.toString(), c.run(backend.engine(), Views.STRIDED, log), log);
            }
        }
    }
}
