package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.softmaxcl.BackendReport;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.BackwardTask;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SoftmaxTask;
import org.softmaxcl.backend.XentTask;
import org.softmaxcl.cpu.CpuBackend;

/** {@code gradcheck}: passes on the CPU backend for every option set, and catches a wrong gradient. */
class GradcheckCommandTest {

    @Test
    void everyOptionSetPassesOnTheCpu() {
        Cli.Result r = Cli.run("gradcheck", "--backend", "cpu", "--rows", "6", "--classes", "20");
        assertThat(r.code()).as(r.toString()).isZero();
        for (String name : GradcheckCases.NAMES.keySet()) {
            assertThat(r.out()).containsPattern("(?m)^" + name + " .* ok$");
        }
        assertThat(r.out()).contains("all " + GradcheckCases.NAMES.size() + " option sets within the tolerance");
    }

    @Test
    void jsonAndOptionSelection() {
        Cli.Result r = Cli.run("gradcheck", "--backend", "cpu", "--option", "softcap,soft", "--option", "none", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsEntry("ok", true).containsEntry("backend", "cpu").containsEntry("rows", 8L);
        List<?> sets = (List<?>) j.get("sets");
        assertThat(sets).hasSize(3);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) sets.get(0);
        assertThat(first).containsEntry("name", "softcap").containsKeys("worst_rel_err", "row", "col", "oracle_rel_err",
                "loss_rel_err", "checked");
        assertThat((Double) first.get("worst_rel_err")).isLessThan(1e-4);
    }

    @Test
    void aToleranceBelowFloat32RoundingFailsWithExit1() {
        Cli.Result r = Cli.run("gradcheck", "--backend", "cpu", "--option", "defaults", "--tolerance", "1e-12");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL", "1 of 1 option sets above the tolerance");
    }

    @Test
    void badUsageExitsWith2() {
        assertThat(Cli.run("gradcheck", "--option", "nope").code()).isEqualTo(2);
        assertThat(Cli.run("gradcheck", "--rows", "0").code()).isEqualTo(2);
        assertThat(Cli.run("gradcheck", "--tolerance", "-1").code()).isEqualTo(2);
        Cli.Result list = Cli.run("gradcheck", "--list");
        assertThat(list.code()).isZero();
        assertThat(list.out().lines().count()).isEqualTo(GradcheckCases.NAMES.size());
    }

    @Test
    void aWrongGradientIsCaught() {
        GradcheckCases data = new GradcheckCases(8, 32, 1);
        // A backend whose gradient is 0.5% too large in one row: the kind of slip a wrong term makes.
        try (Engine e = Engine.over(new SkewedGradient(new CpuBackend(1, "test"), 3, 1.005f))) {
            for (GradcheckCases.Case c : data.cases(List.of())) {
                Gradcheck.Outcome o = Gradcheck.run(e, data, c, 1024, 1);
                assertThat(o.worst()).as(c.name()).isGreaterThan(GradcheckCommand.DEFAULT_TOLERANCE);
                assertThat(o.row()).as(c.name()).isEqualTo(3);
            }
        }
    }

    /** Delegates to a backend and multiplies one row of the gradient by a factor. */
    static final class SkewedGradient implements Backend {
        private final Backend inner;
        private final int row;
        private final float factor;

        SkewedGradient(Backend inner, int row, float factor) {
            this.inner = inner;
            this.row = row;
            this.factor = factor;
        }

        @Override
        public BackendReport report() {
            return inner.report();
        }

        @Override
        public void softmax(SoftmaxTask t) {
            inner.softmax(t);
        }

        @Override
        public void backward(BackwardTask t) {
            inner.backward(t);
        }

        @Override
        public void crossEntropy(XentTask t, RowOutputs out) {
            inner.crossEntropy(t, out);
            FloatMatrix g = t.grad();
            if (g != null) {
                for (int j = 0; j < g.cols(); j++) {
                    g.set(row, j, g.get(row, j) * factor);
                }
            }
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
