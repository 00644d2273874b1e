package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link Determinism} on the CPU backends. */
class DeterminismCpuTest extends Determinism {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
