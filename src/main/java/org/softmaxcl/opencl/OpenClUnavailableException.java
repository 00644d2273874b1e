package org.softmaxcl.opencl;

/** No OpenCL device can be used; the message says why (no library, zero platforms, a build failure…). */
public final class OpenClUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OpenClUnavailableException(String reason) {
        super(reason);
    }
}
