package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link XentOptionPairs} on the OpenCL backends. */
@Tag("opencl")
class XentOptionPairsOpenClTest extends XentOptionPairs {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }
}
