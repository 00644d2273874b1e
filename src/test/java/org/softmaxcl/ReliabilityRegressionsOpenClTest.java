package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.softmaxcl.opencl.OpenClBackend;
import org.softmaxcl.testing.Backends;

/**
 * {@link ReliabilityRegressions} on OpenCL (fails without a device): layouts V0 and V1, the
 * device's default (V0v on PoCL), and V3 (a row split across work-groups, chosen on GPUs only;
 * forced here).
 */
@Tag("opencl")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReliabilityRegressionsOpenClTest extends ReliabilityRegressions {
    private Engine byDefault;
    private Engine split;

    @Override
    List<Engine> engines() {
        if (byDefault == null) {
            byDefault = Engine.openCl();
            split = Engine.over(OpenClBackend.open(null, "v3:4:2", "test: V3 forced"));
        }
        return List.of(Backends.OPENCL_V0.engine(), Backends.OPENCL_V1.engine(), Backends.OPENCL_V2.engine(), byDefault, split);
    }

    @AfterAll
    void close() {
        if (byDefault != null) {
            byDefault.close();
            split.close();
        }
    }
}
