package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link InPlace} on the OpenCL backends. */
@Tag("opencl")
class InPlaceOpenClTest extends InPlace {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
