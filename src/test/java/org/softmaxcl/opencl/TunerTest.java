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
        assertThat(lines).filteredOn(l -> l.contains("K=1024")).first().asString().contains("grad first, vs float64 ");
        assertThat(lines).filteredOn(l -> l.contains("K=1024")).allMatch(l -> l.contains(" grad "));
        // Every layout's gradient within a few float32 roundings of the float64 one.
        assertThat(lines).allSatisfy(l -> assertThat(unitsVsFloat64(l)).as(l).isBetween(0.0, 8.0));
        assertThat(r.file()).isNull();
        List<TuningDatabase.CutOver> parsed = TuningDatabase.parse(r.entry(), "tuned");
        assertThat(parsed.get(parsed.size() - 1).maxK()).isEqualTo(Integer.MAX_VALUE);
        assertThat(Tuner.candidates(r.device())).contains(parsed.get(0).layout().toString());
    }

    private static double unitsVsFloat64(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("vs float64 ([0-9.]+) u$").matcher(line);
        assertThat(m.find()).as("float64 error in: " + line).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void measuresTheErrorInUnitsOfTheRowsLargestEntry() {
        double[] ref = {0.5, -0.25, 0.125, 1e-3, -1e-3, 0};
        float[] exact = {0.5f, -0.25f, 0.125f, 1e-3f, -1e-3f, 0f};
        assertThat(Tuner.errorVsReference(ref, exact, 3)).as("row 2 holds 1e-3 rounded to float32")
                .isEqualTo("vs float64 " + String.format(java.util.Locale.ROOT, "%.2f", Math.abs(1e-3f - 1e-3) / (1e-3 * 0x1p-24)) + " u");
        float[] off = exact.clone();
        off[1] = Math.nextUp(-0.25f);
        off[3] = 1e-3f;
        assertThat(Tuner.errorVsReference(new double[] {0.5, -0.25, 0.125, 1e-3f, -1e-3f, 0}, off, 3))
                .as("one float32 step of 0.25 is half a unit of 0.5").isEqualTo("vs float64 0.50 u");
        assertThat(Tuner.errorVsReference(new double[] {0.5, -0.25, 0.125}, new float[] {0.5f, -0.25f, 0.126f}, 3))
                .as("a wrong entry shows as thousands of units").isEqualTo("vs float64 "
                        + String.format(java.util.Locale.ROOT, "%.2f", (0.126f - 0.125) / (0.5 * 0x1p-24)) + " u");
    }

    @Test
    void comparesEachLayoutsGradientWithTheFirst() {
        float[] a = {1f, -2f, 0f};
        assertThat(Tuner.difference(a, a.clone())).isEqualTo("same bits");
        assertThat(Tuner.difference(a, new float[] {1f, -2.5f, 0f})).isEqualTo("max |diff| 0.500");
        assertThat(Tuner.difference(a, new float[] {1f, -2f, -0f})).as("-0 is not 0's bits").isEqualTo("max |diff| 0.00");
    }
}
