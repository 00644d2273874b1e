package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link JacobianChecks} on the CPU backends. */
class JacobianChecksCpuTest extends JacobianChecks {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
