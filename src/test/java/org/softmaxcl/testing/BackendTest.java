package org.softmaxcl.testing;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Base of the per-concern test classes: a concern is written once, against {@link #backends()},
 * and has one concrete subclass for the CPU backends (untagged) and one for the OpenCL backends
 * (tagged {@code "opencl"}). Per-class lifecycle, so {@code @MethodSource("backends")} can name the
 * instance method.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendTest {

    /** The backends this class runs on. */
    protected abstract List<Backends> backends();

    /** Every backend × every case. */
    protected <T> Stream<Arguments> cross(List<T> cases) {
        return backends().stream().flatMap(b -> cases.stream().map(c -> Arguments.of(b, c)));
    }
}
