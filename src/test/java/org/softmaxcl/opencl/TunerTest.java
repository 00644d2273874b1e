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
        assertThat(r.file()).isNull();
        List<TuningDatabase.CutOver> parsed = TuningDatabase.parse(r.entry(), "tuned");
        assertThat(parsed.get(parsed.size() - 1).maxK()).isEqualTo(Integer.MAX_VALUE);
        assertThat(Tuner.candidates(r.device())).contains(parsed.get(0).layout().toString());
    }
}
