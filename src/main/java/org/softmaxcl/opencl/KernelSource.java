package org.softmaxcl.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the OpenCL C sources of {@code kernels-cl/} from the classpath (they are packaged under
 * {@value #ROOT}) and resolves their {@code #include "file.cl"} lines, each file once, since a
 * program built from a string cannot search include paths.
 */
final class KernelSource {
    static final String ROOT = "/org/softmaxcl/kernels/";
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*#include\\s+\"([A-Za-z0-9_.-]+)\"\\s*$");
    private static final ConcurrentHashMap<String, String> CACHE = new ConcurrentHashMap<>();

    private KernelSource() {
    }

    /** The full source of {@code file} with its includes inlined. */
    static String load(String file) {
        return CACHE.computeIfAbsent(file, f -> expand(f, new HashSet<>()));
    }

    /** A hex SHA-256 of the expanded source (for caches keyed by source). */
    static String hash(String file) {
        return sha256(load(file));
    }

    /** The kernel files of the row operations (their includes come with them). */
    static final java.util.List<String> ROW_KERNEL_FILES =
            java.util.List.of("xent.cl", "xent_vec.cl", "xent_split.cl", "xent_reduce.cl", "softmax.cl", "softmax_vec.cl");

    /** A hex SHA-256 of {@code extra} and the expanded sources of {@link #ROW_KERNEL_FILES}. */
    static String hashOfKernels(String extra) {
        StringBuilder all = new StringBuilder(extra);
        for (String f : ROW_KERNEL_FILES) {
            all.append('\0').append(load(f));
        }
        return sha256(all.toString());
    }

    /** The first 16 bytes of the SHA-256 of {@code text} (UTF-8), in hex. */
    private static String sha256(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String expand(String file, Set<String> seen) {
        if (!seen.add(file)) {
            return "";
        }
        String text = read(file);
        Matcher m = INCLUDE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(expand(m.group(1), seen)));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String read(String file) {
        try (InputStream in = KernelSource.class.getResourceAsStream(ROOT + file)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + ROOT + file + " is missing from the classpath (packaging bug)");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            if (text.chars().anyMatch(ch -> ch > 127)) {
                throw new IllegalStateException("kernel source " + file + " must be ASCII");
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + file, e);
        }
    }
}
