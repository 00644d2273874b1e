package org.softmaxcl.backend;

/**
 * A device backend failed while running a call (a buffer could not be allocated, an enqueue
 * failed, the device was lost). Nothing of the caller's has been written when it is thrown. An
 * engine chosen automatically reruns the call on the CPU backend and stays there; an engine asked
 * for a device explicitly passes the exception on.
 */
public class DeviceFailureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceFailureException(String message) {
        super(message);
    }
}
