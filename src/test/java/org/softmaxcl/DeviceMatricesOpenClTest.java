package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link DeviceMatrices} on every OpenCL layout. */
@Tag("opencl")
class DeviceMatricesOpenClTest extends DeviceMatrices {
    @Override
    protected List<Backends> backends() {
        return java.util.stream.Stream.concat(Backends.OPENCL.stream(), Backends.OPENCL_MORE.stream()).toList();
    }
}
