package org.softmaxcl.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import org.softmaxcl.backend.CacheFolder;

/**
 * Kernel layouts per device, the CLBlast way: an entry is looked up by device type → vendor →
 * name, most specific first, in the user's {@code tuning.properties} (written by {@code softmax-cl
 * tune}, in the {@link CacheFolder}) and then in the one shipped with the library
 * ({@code org/softmaxcl/opencl/tuning.properties}, which explains the format). An entry is a list
 * of cut-overs {@code maxK=layout}: rows of K classes use the first layout whose maxK ≥ K.
 */
final class TuningDatabase {
    static final String FILE = "tuning.properties";
    private static final String RESOURCE = "/org/softmaxcl/opencl/" + FILE;
    private static final ConcurrentHashMap<String, Entry> CACHE = new ConcurrentHashMap<>();

    private TuningDatabase() {
    }

    /** One cut-over: rows with K ≤ maxK use this layout. */
    record CutOver(int maxK, KernelLayout layout) {
    }

    /** The entry found for a device: where it came from, and its cut-overs. */
    record Entry(String source, String key, List<CutOver> cutOvers) {
        KernelLayout layoutFor(int k) {
            for (CutOver c : cutOvers) {
                if (k <= c.maxK) {
                    return c.layout;
                }
            }
            return cutOvers.get(cutOvers.size() - 1).layout;
        }

        /** The value as written in the file. */
        String value() {
            return format(cutOvers);
        }
    }

    /** The keys of a device, most specific first. */
    static List<String> keys(DeviceInfo d) {
        String type = norm(d.type());
        String vendor = norm(d.vendor());
        String name = norm(d.name());
        return List.of(type + "/" + vendor + "/" + name, type + "/" + vendor, type, "default");
    }

    private static String norm(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    }

    /** The entry for a device (cached per process until {@link #store}). */
    static Entry lookup(DeviceInfo d) {
        return CACHE.computeIfAbsent(keys(d).get(0), k -> find(d));
    }

    private static Entry find(DeviceInfo d) {
        Path user = userFile();
        Properties mine = user != null ? load(user) : new Properties();
        Properties shipped = shipped();
        for (String key : keys(d)) {
            String v = mine.getProperty(key);
            if (v != null) {
                return new Entry(user.toString(), key, parse(v, key));
            }
            v = shipped.getProperty(key);
            if (v != null) {
                return new Entry("built-in " + FILE, key, parse(v, key));
            }
        }
        throw new IllegalStateException("packaging bug: " + RESOURCE + " has no 'default' entry");
    }

    /** Parses "32=v0:64, 4096=v1:128, max=v1:256". */
    static List<CutOver> parse(String value, String key) {
        List<CutOver> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(FILE + " entry '" + key + "': '" + p + "' is not maxK=layout");
            }
            String k = p.substring(0, eq).trim();
            int maxK = k.equalsIgnoreCase("max") ? Integer.MAX_VALUE : Integer.parseInt(k);
            if (!out.isEmpty() && maxK <= out.get(out.size() - 1).maxK) {
                throw new IllegalArgumentException(FILE + " entry '" + key + "': cut-overs must increase, got " + value);
            }
            out.add(new CutOver(maxK, KernelLayout.parse(p.substring(eq + 1).trim())));
        }
        if (out.isEmpty() || out.get(out.size() - 1).maxK != Integer.MAX_VALUE) {
            throw new IllegalArgumentException(FILE + " entry '" + key + "' must end with max=layout, got " + value);
        }
        return out;
    }

    static String format(List<CutOver> cutOvers) {
        StringBuilder s = new StringBuilder();
        for (CutOver c : cutOvers) {
            if (s.length() > 0) {
                s.append(", ");
            }
            s.append(c.maxK == Integer.MAX_VALUE ? "max" : String.valueOf(c.maxK)).append('=').append(c.layout);
        }
        return s.toString();
    }

    /** Writes the device's own entry into the user's file (the most specific key) and returns the file. */
    static Path store(DeviceInfo d, List<CutOver> cutOvers) {
        Path f = userFile();
        if (f == null) {
            throw new IllegalStateException("disk caches are off (" + CacheFolder.ENABLE_PROPERTY + "=false): nowhere to store tuning");
        }
        try {
            Files.createDirectories(f.getParent());
            Properties p = load(f);
            p.setProperty(keys(d).get(0), format(cutOvers));
            Path tmp = Files.createTempFile(f.getParent(), FILE, ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "softmax-cl tuning, written by 'softmax-cl tune' (format: see the built-in " + FILE + ")");
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + f, e);
        }
        CACHE.clear();
        return f;
    }

    /** Forgets what was looked up (tests, after the user file changed). */
    static void forget() {
        CACHE.clear();
    }

    static Path userFile() {
        Path dir = CacheFolder.dir();
        return dir == null ? null : dir.resolve(FILE);
    }

    private static Properties load(Path f) {
        Properties p = new Properties();
        if (Files.isRegularFile(f)) {
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            } catch (IOException e) {
                // an unreadable user file is ignored; the built-in entries remain
            }
        }
        return p;
    }

    private static Properties shipped() {
        Properties p = new Properties();
        try (InputStream in = TuningDatabase.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("packaging bug: " + RESOURCE + " is missing");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
