package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link GoldenCases} on the other OpenCL layouts (the device's default, V3). */
@Tag("opencl")
class GoldenCasesOpenClLayoutsTest extends GoldenCases {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL_MORE;
    }
}
