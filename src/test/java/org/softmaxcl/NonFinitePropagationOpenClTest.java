package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link NonFinitePropagation} on the OpenCL backends (fails without a device). */
@Tag("opencl")
class NonFinitePropagationOpenClTest extends NonFinitePropagation {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
