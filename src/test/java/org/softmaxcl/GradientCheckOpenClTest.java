package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link GradientCheck} on the OpenCL backends. */
@Tag("opencl")
class GradientCheckOpenClTest extends GradientCheck {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
