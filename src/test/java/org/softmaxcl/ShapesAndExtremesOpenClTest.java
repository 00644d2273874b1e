package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link ShapesAndExtremes} on the OpenCL backends. */
@Tag("opencl")
class ShapesAndExtremesOpenClTest extends ShapesAndExtremes {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
