package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link JacobianChecks} on the OpenCL backends. */
@Tag("opencl")
class JacobianChecksOpenClTest extends JacobianChecks {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
