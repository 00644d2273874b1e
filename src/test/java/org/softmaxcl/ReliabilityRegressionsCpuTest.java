package org.softmaxcl;

import java.util.List;

import org.junit.jupiter.api.TestInstance;
import org.softmaxcl.testing.Backends;

/** {@link ReliabilityRegressions} on both CPU kernel paths. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReliabilityRegressionsCpuTest extends ReliabilityRegressions {
    @Override
    List<Engine> engines() {
        return List.of(Backends.CPU_SCALAR.engine(), Backends.CPU_FLOAT32.engine(), Backends.CPU_DEFAULT.engine());
    }
}
