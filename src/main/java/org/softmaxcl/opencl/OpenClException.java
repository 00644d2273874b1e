package org.softmaxcl.opencl;

/**
 * An OpenCL call failed: the message names the call and the error code's name
 * ({@code "clCreateBuffer: CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)"}), plus the build log for
 * programs that do not compile.
 */
public final class OpenClException extends org.softmaxcl.backend.DeviceFailureException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int code;

    public OpenClException(String call, int code, String detail) {
        super(call + ": " + Cl.errorName(code) + " (" + code + ")" + (detail == null ? "" : ": " + detail));
        this.call = call;
        this.code = code;
    }

    /** The OpenCL function that failed. */
    public String call() {
        return call;
    }

    /** The OpenCL error code it returned. */
    public int code() {
        return code;
    }
}
