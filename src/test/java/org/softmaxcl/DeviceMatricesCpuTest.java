package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link DeviceMatrices} on the CPU backends (the matrices live in Java arrays there). */
class DeviceMatricesCpuTest extends DeviceMatrices {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
