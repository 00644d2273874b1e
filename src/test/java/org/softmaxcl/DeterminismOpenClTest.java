package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link Determinism} on the OpenCL backends. */
@Tag("opencl")
class DeterminismOpenClTest extends Determinism {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
