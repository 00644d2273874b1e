package org.softmaxcl.cli;

/** Applies one option to a library builder, reporting a refused value with its command-line name. */
final class Options {
    private Options() {
    }

    /** Runs {@code setter}; an {@link IllegalArgumentException} becomes a {@link UsageException} naming {@code option}. */
    static void set(String option, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage(), e);
        }
    }
}
