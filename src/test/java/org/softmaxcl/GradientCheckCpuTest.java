package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link GradientCheck} on the CPU backends. */
class GradientCheckCpuTest extends GradientCheck {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
