package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link EdgeSemantics} on the OpenCL backends. */
@Tag("opencl")
class EdgeSemanticsOpenClTest extends EdgeSemantics {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
