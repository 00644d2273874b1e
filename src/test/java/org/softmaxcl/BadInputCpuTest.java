package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link BadInput} on the CPU backends. */
class BadInputCpuTest extends BadInput {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
