package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link StableLossForm} on the CPU backends. */
class StableLossFormCpuTest extends StableLossForm {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
