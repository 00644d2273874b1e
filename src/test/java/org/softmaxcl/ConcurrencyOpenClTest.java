package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.softmaxcl.testing.Backends;

/**
 * {@link Concurrency} on OpenCL (fails without a device), layout V0 only: calls are serialised on
 * the host whatever the kernel layout, and each layout's kernel variants are builds of seconds.
 */
@Tag("opencl")
class ConcurrencyOpenClTest extends Concurrency {
    @Override
    protected List<Backends> backends() {
        return List.of(Backends.OPENCL_V0);
    }
}
