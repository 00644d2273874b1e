package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Fuzz} on OpenCL with the layout the device gets by default (on PoCL: a work-item per row,
 * vector registers for K ≥ 8): 1000 cases, their kernel features drawn from a small palette (every
 * feature combination is a kernel build). Fails without a device.
 */
@Tag("opencl")
class FuzzOpenClTest {
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void casesMatchTheOracleOrAreRefused() {
        int count = Integer.getInteger("softmaxcl.test.fuzzOpenClCases", 1000);
        long seed = Long.getLong("softmaxcl.test.fuzzSeed", 2024);
        try (Engine e = Engine.openCl()) {
            Fuzz.Report r = Fuzz.run(seed + 1, count, true, List.of(e));
            System.out.println("fuzz opencl (seed " + (seed + 1) + "): " + r);
            assertThat(r.failures()).isEmpty();
            assertThat(r.refused()).as("refusals happen").isPositive();
        }
    }
}
