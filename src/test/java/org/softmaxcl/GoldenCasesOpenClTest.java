package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link GoldenCases} on the OpenCL backends (V0 and V1 layouts). */
@Tag("opencl")
class GoldenCasesOpenClTest extends GoldenCases {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
