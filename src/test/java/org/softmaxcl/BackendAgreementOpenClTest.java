package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/** {@link BackendAgreement}: CPU scalar against OpenCL V0 and V1 (and so V0 against V1 within 4×). */
@Tag("opencl")
class BackendAgreementOpenClTest extends BackendAgreement {
    @Override
    protected List<Backends> compared() {
        return List.of(Backends.CPU_SCALAR, Backends.CPU_DEFAULT, Backends.OPENCL_V0, Backends.OPENCL_V1, Backends.OPENCL_V2);
    }
}
