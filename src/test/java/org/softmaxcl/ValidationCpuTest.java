package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link Validation} on the CPU backends. */
class ValidationCpuTest extends Validation {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
