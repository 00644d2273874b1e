package org.softmaxcl.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The output files of one command: checked before anything is computed (the folder exists and is
 * writable, the path is not a folder, no two outputs are the same file), written only after every
 * result is computed, each atomically ({@link Npy#writeFloat32}: a temporary file renamed over
 * the target), so bad input never creates or changes a file.
 */
final class Outputs {
    private final Map<Path, String> claimed = new LinkedHashMap<>();

    /** Checks {@code file} (null: not requested) and claims it for {@code option}. */
    Outputs check(String option, Path file) {
        if (file == null) {
            return this;
        }
        Path abs = file.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new UsageException(option + ": " + file + " is a folder; give a file name");
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException(option + ": the folder of " + file + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(option + ": the folder of " + file + " is not writable");
        }
        String other = claimed.putIfAbsent(abs, option);
        if (other != null) {
            throw new UsageException(option + ": " + file + " is also given as " + other);
        }
        return this;
    }

    /** Checks an output folder (created at write time when missing; its nearest existing ancestor must be a writable folder). */
    static void checkFolder(String option, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new UsageException(option + ": " + dir + " exists and is not a folder");
        }
        Path p = abs;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null || !Files.isDirectory(p) || !Files.isWritable(p)) {
            throw new UsageException(option + ": cannot create files under " + dir + " (" + p + " is not a writable folder)");
        }
    }

    /** Writes a float32 array atomically; an I/O failure here is exit status 1. */
    static void writeFloat32(String option, Path file, float[] data, int... shape) {
        try {
            Npy.writeFloat32(file, data, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(option + ": cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes bytes atomically (a temporary file renamed over the target). */
    static void writeBytes(Path file, byte[] bytes) {
        try {
            Npy.writeAtomically(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
