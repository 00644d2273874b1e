package org.softmaxcl.cli;

/**
 * Bad usage or bad input found by the command line itself (a missing file, a wrong dtype or shape,
 * an output folder that does not exist): exit status 2 with the message on stderr. The message
 * names the argument and the value.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
