package org.softmaxcl.backend;

import java.nio.file.Path;

/**
 * Where the optional on-disk caches live (kernel binaries, auto calibration): the system property
 * {@value #DIR_PROPERTY}, else {@code ~/.cache/softmax-cl}. Setting {@value #ENABLE_PROPERTY} to
 * {@code false} turns every disk cache off. A cache that cannot be read or written is a miss, never
 * an error.
 */
public final class CacheFolder {
    /** System property: the folder of the on-disk caches. */
    public static final String DIR_PROPERTY = "softmaxcl.cache.dir";
    /** System property: {@code false} keeps every cache in memory only. */
    public static final String ENABLE_PROPERTY = "softmaxcl.cache";

    private CacheFolder() {
    }

    /** The cache folder, or null when disk caches are off. */
    public static Path dir() {
        if ("false".equalsIgnoreCase(System.getProperty(ENABLE_PROPERTY, "true").trim())) {
            return null;
        }
        String dir = System.getProperty(DIR_PROPERTY);
        return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "softmax-cl");
    }
}
