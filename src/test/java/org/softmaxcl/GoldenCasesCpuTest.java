package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link GoldenCases} on the CPU backends. */
class GoldenCasesCpuTest extends GoldenCases {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
