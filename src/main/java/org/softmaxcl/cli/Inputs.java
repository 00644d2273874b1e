package org.softmaxcl.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;

/**
 * Reads the commands' {@code .npy} inputs and checks their dtype and shape, throwing {@link
 * UsageException} (exit 2) with a message that names the option and the file.
 */
final class Inputs {
    private Inputs() {
    }

    /** Reads {@code file} given as {@code option}. */
    static Npy.Array read(String option, Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new UsageException(option + ": " + file + " is a folder, not a .npy file");
            }
            return Npy.read(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(option + ": no such file: " + file, e);
        } catch (AccessDeniedException e) {
            throw new UsageException(option + ": cannot read " + file + " (access denied)", e);
        } catch (Npy.NpyFormatException e) {
            throw new UsageException(option + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(option + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** float32 C-order N×K logits (N ≥ 0, K ≥ 1) as a dense matrix. */
    static FloatMatrix matrix(String option, Path file) {
        Npy.Array a = read(option, file);
        if (a.dtype() != Npy.DType.FLOAT32) {
            throw new UsageException(option + ": " + file + " holds " + dtype(a) + "; a float32 array is needed"
                    + " (numpy: x.astype(numpy.float32))");
        }
        if (a.rank() != 2) {
            throw new UsageException(option + ": " + file + " has shape " + shape(a) + "; a 2-D array (N, K) is needed");
        }
        if (a.shape()[1] < 1) {
            throw new UsageException(option + ": " + file + " has shape " + shape(a) + "; K must be >= 1");
        }
        return FloatMatrix.of(a.floats(), a.shape()[0], a.shape()[1]);
    }

    /**
     * Targets for N×K logits: int32 or int64 of shape (N,) (class indices), or float32 of shape
     * (N, K) (distributions).
     */
    static Targets targets(String option, Path file, int n, int k) {
        Npy.Array a = read(option, file);
        switch (a.dtype()) {
            case INT32:
            case INT64:
                if (a.rank() != 1 || a.shape()[0] != n) {
                    throw new UsageException(option + ": " + file + " holds class indices of shape " + shape(a)
                            + "; (" + n + ",) is needed for " + n + " rows of logits");
                }
                if (a.ints() != null) {
                    return Targets.hard(a.ints());
                }
                try {
                    return Targets.hard(a.longs());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(option + ": " + e.getMessage(), e);
                }
            case FLOAT32:
                if (a.rank() != 2 || a.shape()[0] != n || a.shape()[1] != k) {
                    throw new UsageException(option + ": " + file + " holds float32 of shape " + shape(a)
                            + "; soft targets need the logits' shape (" + n + ", " + k + ")");
                }
                return Targets.soft(FloatMatrix.of(a.floats(), n, k));
            default:
                throw new UsageException(option + ": " + file + " holds " + dtype(a)
                        + "; targets are int32/int64 class indices (N,) or float32 distributions (N, K)");
        }
    }

    /** A float32 vector of {@code length} values ({@code what} says what the length is, for the message). */
    static float[] vector(String option, Path file, int length, String what) {
        Npy.Array a = read(option, file);
        if (a.dtype() != Npy.DType.FLOAT32) {
            throw new UsageException(option + ": " + file + " holds " + dtype(a) + "; float32 is needed");
        }
        if (a.rank() != 1 || a.shape()[0] != length) {
            throw new UsageException(option + ": " + file + " has shape " + shape(a) + "; (" + length + ",) is needed ("
                    + what + ")");
        }
        return a.floats();
    }

    private static String dtype(Npy.Array a) {
        return a.dtype().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String shape(Npy.Array a) {
        int[] s = a.shape();
        if (s.length == 1) {
            return "(" + s[0] + ",)";
        }
        return Arrays.toString(s).replace('[', '(').replace(']', ')');
    }
}
