package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.Engine;
import org.softmaxcl.backend.CacheFolder;

/** Program binaries cached on disk: reused by a later backend, and a corrupt one is ignored. */
@Tag("opencl")
class BinaryCacheTest {
    @TempDir
    Path dir;
    private String saved;

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(CacheFolder.DIR_PROPERTY);
        } else {
            System.setProperty(CacheFolder.DIR_PROPERTY, saved);
        }
    }

    private float[] softmaxOnFreshBackend() {
        try (Engine e = Engine.over(OpenClBackend.open(null, null, "test"))) {
            return e.softmax(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -3}, 2, 6);
        }
    }

    private static int hitsOfFreshBackend() {
        try (OpenClBackend b = OpenClBackend.open(null, null, "test")) {
            return b.binaryCacheHits();
        }
    }

    @Test
    void aSecondBackendBuildsFromTheCachedBinaryAndACorruptBinaryIsIgnored() throws IOException {
        saved = System.getProperty(CacheFolder.DIR_PROPERTY);
        System.setProperty(CacheFolder.DIR_PROPERTY, dir.toString());
        float[] first = softmaxOnFreshBackend();
        assertThat(hitsOfFreshBackend()).isPositive();
        Path kernels = dir.resolve("kernels");
        try (Stream<Path> files = Files.list(kernels)) {
            for (Path f : files.toList()) {
                Files.write(f, new byte[] {1, 2, 3, 4});
            }
        }
        assertThat(hitsOfFreshBackend()).isZero();
        assertThat(softmaxOnFreshBackend()).containsExactly(first);
        assertThat(hitsOfFreshBackend()).as("rewritten after the corrupt one was refused").isPositive();
    }
}
