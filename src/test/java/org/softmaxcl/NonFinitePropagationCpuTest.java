package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link NonFinitePropagation} on the CPU backends. */
class NonFinitePropagationCpuTest extends NonFinitePropagation {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
