package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link BadInput} on the OpenCL backends. */
@Tag("opencl")
class BadInputOpenClTest extends BadInput {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
