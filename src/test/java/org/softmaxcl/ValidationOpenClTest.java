package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link Validation} on the OpenCL backends (fails without a device). */
@Tag("opencl")
class ValidationOpenClTest extends Validation {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
