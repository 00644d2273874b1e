package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link InPlace} on the CPU backends. */
class InPlaceCpuTest extends InPlace {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
