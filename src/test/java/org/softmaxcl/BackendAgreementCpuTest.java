package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link BackendAgreement}: the default CPU backend against the scalar one. */
class BackendAgreementCpuTest extends BackendAgreement {
    @Override
    protected List<Backends> compared() {
        return List.of(Backends.CPU_SCALAR, Backends.CPU_FLOAT32, Backends.CPU_DEFAULT);
    }
}
