package org.softmaxcl;

import org.softmaxcl.backend.Backend;
import org.softmaxcl.opencl.OpenClBackend;

/** The one place the API layer touches the OpenCL package. */
final class OpenClGate {
    /** System property forcing the OpenCL kernel layout (v0, v1, v1:256); for tests and tuning. */
    static final String LAYOUT_PROPERTY = "softmaxcl.opencl.layout";

    private OpenClGate() {
    }

    static Backend open(String selector, String reason) {
        return OpenClBackend.open(selector, System.getProperty(LAYOUT_PROPERTY), reason);
    }
}
