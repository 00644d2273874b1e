package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The regular files of a folder and their bytes, taken before a command runs, so that a refused
 * run can be shown to have created, removed and changed none of them.
 */
final class FolderSnapshot {
    private final Path dir;
    private final Map<String, byte[]> files;

    private FolderSnapshot(Path dir, Map<String, byte[]> files) {
        this.dir = dir;
        this.files = files;
    }

    static FolderSnapshot of(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) {
                    m.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        return new FolderSnapshot(dir, m);
    }

    /** Asserts that the folder holds the same files as when taken, byte for byte. */
    void assertUnchanged() throws IOException {
        assertThat(of(dir).files).as("files after the run").containsOnlyKeys(files.keySet().toArray(String[]::new));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            assertThat(Files.readAllBytes(dir.resolve(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
        }
    }
}
