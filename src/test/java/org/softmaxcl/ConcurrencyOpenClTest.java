package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link Concurrency} on the OpenCL backends (fails without a device). */
@Tag("opencl")
class ConcurrencyOpenClTest extends Concurrency {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
