package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.FuzzCases;

/**
 * {@link Fuzz} on both CPU kernel paths (scalar and the default, Vector API when available):
 * 10⁴ cases by default; the system property {@code softmaxcl.test.fuzzCases} sets another count
 * and {@code softmaxcl.test.fuzzSeed} another seed. Then large cases, where the calls go
 * multi-threaded.
 */
class FuzzCpuTest {
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tenThousandCasesMatchTheOracleOrAreRefused() {
        int count = Integer.getInteger("softmaxcl.test.fuzzCases", 10_000);
        long seed = Long.getLong("softmaxcl.test.fuzzSeed", 2024);
        Fuzz.Report r = Fuzz.run(seed, count, false, List.of(Backends.CPU_SCALAR.engine(), Backends.CPU_FLOAT32.engine(), Backends.CPU_DEFAULT.engine()));
        System.out.println("fuzz cpu (seed " + seed + "): " + r);
        assertThat(r.failures()).isEmpty();
        assertThat(r.refused()).as("refusals happen").isPositive();
    }

    /**
     * {@link FuzzCases#makeLarge}: rows split over threads and long rows in segments, with every
     * option; 60 cases by default ({@code softmaxcl.test.fuzzLargeCases}).
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void largeCasesMatchTheOracleOrAreRefused() {
        int count = Integer.getInteger("softmaxcl.test.fuzzLargeCases", 60);
        long seed = Long.getLong("softmaxcl.test.fuzzSeed", 2024);
        Fuzz.Report r = Fuzz.run(count, i -> FuzzCases.makeLarge(seed, i),
                List.of(Backends.CPU_SCALAR.engine(), Backends.CPU_FLOAT32.engine(), Backends.CPU_DEFAULT.engine()));
        System.out.println("fuzz cpu large (seed " + seed + "): " + r);
        assertThat(r.failures()).isEmpty();
    }
}
