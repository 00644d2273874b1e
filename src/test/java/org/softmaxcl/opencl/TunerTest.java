package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The tuner on the real device, on tiny shapes: every candidate measured, an entry derived. */
@Tag("opencl")
class TunerTest {
    @Test
    void measuresEveryCandidateAndDerivesAnEntry() {
        List<String> lines = new ArrayList<>();
        Tuner.Result r = Tuner.tune(null, new int[] {4, 64, 1024}, 4096, 2, false, lines::add);
        int candidates = Tuner.candidates(r.device()).size();
        assertThat(r.measurements()).hasSize(candidates * 3);
        assertThat(r.measurements()).allSatisfy(m -> assertThat(m.kernelMs()).isPositive());
        assertThat(lines).hasSize(candidates * 3);
        assertThat(lines).filteredOn(l -> l.contains("K=1024")).first().asString().endsWith("grad first");
        assertThat(lines).filteredOn(l -> l.contains("K=1024")).allMatch(l -> l.contains(" grad "));
        assertThat(r.file()).isNull();
        List<TuningDatabase.CutOver> parsed = TuningDatabase.parse(r.entry(), "tuned");
        assertThat(parsed.get(parsed.size() - 1).maxK()).isEqualTo(Integer.MAX_VALUE);
        assertThat(Tuner.candidates(r.device())).contains(parsed.get(0).layout().toString());
    }

    @Test
    void comparesEachLayoutsGradientWithTheFirst() {
        float[] a = {1f, -2f, 0f};
        assertThat(Tuner.difference(a, a.clone())).isEqualTo("same bits");
        assertThat(Tuner.difference(a, new float[] {1f, -2.5f, 0f})).isEqualTo("max |diff| 0.500");
        assertThat(Tuner.difference(a, new float[] {1f, -2f, -0f})).as("-0 is not 0's bits").isEqualTo("max |diff| 0.00");
    }
}
