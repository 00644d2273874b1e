package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link EdgeSemantics} on the CPU backends. */
class EdgeSemanticsCpuTest extends EdgeSemantics {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
