package org.softmaxcl.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.softmaxcl.cli.Npy;

/**
 * A PyTorch golden case from {@code src/test/resources/golden/<name>} (see its README): the
 * {@code case.json} fields read with small regular expressions, and the {@code .npy} files.
 */
public final class Golden {
    public final String name;
    public final Path dir;
    private final String json;

    private Golden(Path dir) {
        this.dir = dir;
        this.name = dir.getFileName().toString();
        try {
            this.json = Files.readString(dir.resolve("case.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every case folder, sorted by name. */
    public static List<Golden> all() {
        URL url = Golden.class.getResource("/golden");
        if (url == null) {
            throw new IllegalStateException("no golden/ folder on the test classpath");
        }
        try (Stream<Path> s = Files.list(Path.of(url.toURI()))) {
            List<Golden> cases = new ArrayList<>();
            s.filter(Files::isDirectory).sorted().forEach(p -> cases.add(new Golden(p)));
            if (cases.isEmpty()) {
                throw new IllegalStateException("golden/ holds no case");
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A string field, or null when absent. */
    public String string(String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** A number field, or {@code dflt} when absent. */
    public double number(String key, double dflt) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*(-?[0-9.eE+-]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : dflt;
    }

    public boolean has(String key) {
        return json.contains("\"" + key + "\"");
    }

    public String op() {
        return string("op");
    }

    public int rows() {
        return (int) number("rows", -1);
    }

    public int classes() {
        return (int) number("classes", -1);
    }

    /** Reads {@code <file>.npy} of this case. */
    public Npy.Array npy(String file) {
        try {
            return Npy.read(dir.resolve(file + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A float array (float32 or float64 file) as doubles. */
    public double[] doubles(String file) {
        Npy.Array a = npy(file);
        if (a.doubles() != null) {
            return a.doubles();
        }
        if (a.floats() != null) {
            return Compare.widen(a.floats());
        }
        throw new IllegalStateException(file + ".npy is " + a.dtype());
    }

    @Override
    public String toString() {
        return name;
    }
}
