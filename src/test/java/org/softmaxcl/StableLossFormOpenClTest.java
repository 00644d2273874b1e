package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link StableLossForm} on the OpenCL backends. */
@Tag("opencl")
class StableLossFormOpenClTest extends StableLossForm {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
