package org.softmaxcl.testing;

import java.util.function.Supplier;

/** Runs a piece of a test with one system property set (or cleared), restoring its old value after. */
public final class SystemProperties {
    private SystemProperties() {
    }

    /** {@code body} with property {@code name} set to {@code value} (null: cleared); returns what it returns. */
    public static <T> T with(String name, String value, Supplier<T> body) {
        String before = System.getProperty(name);
        set(name, value);
        try {
            return body.get();
        } finally {
            set(name, before);
        }
    }

    /** {@code body} with property {@code name} set to {@code value} (null: cleared). */
    public static void with(String name, String value, Runnable body) {
        with(name, value, () -> {
            body.run();
            return null;
        });
    }

    private static void set(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }
}
