package org.softmaxcl;

import java.util.List;

import org.softmaxcl.testing.Backends;

/** {@link Concurrency} on the CPU backends. */
class ConcurrencyCpuTest extends Concurrency {
    @Override
    protected List<Backends> backends() {
        return Backends.CPU;
    }
}
