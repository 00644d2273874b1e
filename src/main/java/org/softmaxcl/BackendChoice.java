package org.softmaxcl;

import java.util.Locale;

/**
 * Which backend to ask for. {@link #AUTO} picks an OpenCL device when one works and the CPU
 * otherwise; {@link #OPENCL} fails with {@link IllegalStateException} when no device works.
 */
public enum BackendChoice {
    /** An OpenCL device where one works and measured faster than the CPU path, else the CPU. */
    AUTO,
    /** The pure-Java CPU backend (Vector API kernels when available, scalar otherwise). */
    CPU,
    /** The first usable OpenCL device; {@link IllegalStateException} when none works. */
    OPENCL;

    /** Name of the system property that chooses the backend of {@link Engine#auto()}. */
    public static final String PROPERTY = "softmaxcl.backend";
    /** Name of the environment variable used when the property is not set. */
    public static final String ENV = "SOFTMAXCL_BACKEND";

    /**
     * Parses {@code auto}, {@code cpu} or {@code opencl} (any case).
     *
     * @throws IllegalArgumentException naming the source and the value otherwise
     */
    public static BackendChoice parse(String value, String source) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " must be auto, cpu or opencl, got '" + value + "'");
        }
    }

    /** The choice made by {@value #PROPERTY}, else {@value #ENV}, else {@link #AUTO}. */
    public static BackendChoice fromEnvironment() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return parse(p, "system property " + PROPERTY);
        }
        String e = System.getenv(ENV);
        if (e != null && !e.isBlank()) {
            return parse(e, "environment variable " + ENV);
        }
        return AUTO;
    }
}
