package org.softmaxcl;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.provider.Arguments;
import org.softmaxcl.testing.Backends;

/**
 * {@link NonFinitePropagation} on the OpenCL backends (fails without a device); the plain and
 * soft-capped cross-entropy cases also on the other layouts ({@link Backends#OPENCL_MORE}: the device's
 * default, V0v on PoCL, and V3, a row split over work-groups, whose merging kernel decides a
 * row's max apart from the others).
 */
@Tag("opencl")
class NonFinitePropagationOpenClTest extends NonFinitePropagation {
    @Override
    protected List<Backends> backends() {
        return Backends.OPENCL;
    }

    @Override
    Stream<Arguments> cases() {
        return Stream.concat(super.cases(), cases(Backends.OPENCL_MORE, List.of(3, 300),
                List.of(Kind.HARD_MEAN, Kind.SOFTCAP_NONE, Kind.SOFTCAP_IGNORED_ROW)));
    }
}
