package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link ShapesAndExtremes} on the CPU backends. */
class ShapesAndExtremesCpuTest extends ShapesAndExtremes {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
