package org.softmaxcl.cli;

import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.softmaxcl.EmptyMeanPolicy;
import org.softmaxcl.Reduction;
import org.softmaxcl.XentOptions;

/**
 * Option sets for the xent bit-for-bit tests: the command-line arguments and the same options
 * built through the API. {@code {weights}} and {@code {perrow}} stand for the fixture's files.
 */
record XentCases(String name, String targets, boolean mask, List<String> args, Function<XentFixture, UnaryOperator<XentOptions.Builder>> options) {

    static List<XentCases> all() {
        return List.of(
                new XentCases("defaults", "hard", false, List.of(), f -> b -> b),
                new XentCases("sum, smoothing, class weights", "hard", false,
                        List.of("--reduction", "sum", "--label-smoothing", "0.1", "--weights", "{weights}"),
                        f -> b -> b.reduction(Reduction.SUM).labelSmoothing(0.1f).classWeights(f.weights)),
                new XentCases("none, ignore index 5, z-loss", "hard5", false,
                        List.of("--reduction", "none", "--ignore-index", "5", "--z-loss", "0.001"),
                        f -> b -> b.reduction(Reduction.NONE).ignoreIndex(5).zLoss(0.001f)),
                new XentCases("temperature, softcap, grad scale", "hard", false,
                        List.of("--temperature", "1.5", "--softcap", "20", "--grad-scale", "0.25"),
                        f -> b -> b.temperature(1.5f).softcap(20f).gradScale(0.25f)),
                new XentCases("sample weights, per-row temperatures", "hard", false,
                        List.of("--sample-weights", "{perrow}", "--row-temperatures", "{perrow}"),
                        f -> b -> b.sampleWeights(f.perRow).rowTemperatures(f.perRow)),
                new XentCases("per-row grad scales, empty-mean nan, propagate", "hard", false,
                        List.of("--row-grad-scales", "{perrow}", "--empty-mean", "nan", "--non-finite", "propagate"),
                        f -> b -> b.rowGradScales(f.perRow).emptyMean(EmptyMeanPolicy.NAN)
                                .nonFinite(org.softmaxcl.NonFinitePolicy.PROPAGATE)),
                new XentCases("soft targets, smoothing, weights, z-loss", "soft", false,
                        List.of("--label-smoothing", "0.2", "--weights", "{weights}", "--z-loss", "0.01"),
                        f -> b -> b.labelSmoothing(0.2f).classWeights(f.weights).zLoss(0.01f)),
                new XentCases("soft targets, sum, temperature", "soft", false,
                        List.of("--reduction", "SUM", "--temperature", "0.7"),
                        f -> b -> b.reduction(Reduction.SUM).temperature(0.7f)),
                new XentCases("a -inf logit (legal mask), weights", "hard", true,
                        List.of("--weights", "{weights}", "--z-loss", "0.001"),
                        f -> b -> b.classWeights(f.weights).zLoss(0.001f)),
                new XentCases("a -inf logit under label smoothing: loss +inf prints null", "hard", true,
                        List.of("--label-smoothing", "0.1"), f -> b -> b.labelSmoothing(0.1f)));
    }

    List<String> argsFor(XentFixture f) {
        return args.stream().map(a -> a.replace("{weights}", f.weightsFile.toString())
                .replace("{perrow}", f.perRowFile.toString())).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return name;
    }
}
