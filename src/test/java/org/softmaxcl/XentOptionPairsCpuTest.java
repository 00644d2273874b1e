package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link XentOptionPairs} on the CPU backends. */
class XentOptionPairsCpuTest extends XentOptionPairs {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
