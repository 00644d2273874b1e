package org.softmaxcl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import org.softmaxcl.backend.Backend;
import org.softmaxcl.backend.CacheFolder;
import org.softmaxcl.backend.RowOutputs;
import org.softmaxcl.backend.SampleBatches;
import org.softmaxcl.backend.XentTask;

/**
 * The short measurement {@code auto} makes before it prefers an OpenCL device (a GPU, PoCL's CPU
 * device, an integrated accelerator) over the Java CPU path: the fused cross-entropy
 * pass on a {@value #ROWS}×{@value #COLS} batch, untimed calls for {@value #WARMUP_MS_CPU} ms on the
 * Java path (it runs interpreted, then C1-compiled, for about a second before C2 compiles its vector
 * kernels) and {@value #WARMUP_MS_DEVICE} ms on the device, then {@value #REPS} timed calls on each,
 * medians compared. About two seconds, once per machine with the disk cache. Results are cached per process and, unless
 * {@value #CACHE_PROPERTY} is {@code false}, in {@code calibration.properties} under the
 * {@link CacheFolder}, keyed by device, CPU kernel path and thread count, and by the OpenCL kernels'
 * sources, layout, build options and the library version
 * ({@code OpenClBackend.measurementFingerprint}): new kernels or settings are measured again.
 *
 * @param openclGelemPerS throughput of the OpenCL device, N·K per second ×1e-9
 * @param cpuGelemPerS    throughput of the Java CPU path
 * @param cached          whether the numbers came from the cache
 */
record Calibration(double openclGelemPerS, double cpuGelemPerS, boolean cached) {
    static final int ROWS = 256;
    static final int COLS = 4096;
    static final int WARMUP_MS_CPU = 1500;
    static final int WARMUP_MS_DEVICE = 300;
    static final int REPS = 7;
    /** System property: {@code false} turns calibration off (any OpenCL device is then preferred). */
    static final String PROPERTY = "softmaxcl.auto.calibrate";
    /** System property: {@code false} keeps calibration results (and every other cache) in memory only. */
    static final String CACHE_PROPERTY = CacheFolder.ENABLE_PROPERTY;

    private static final ConcurrentHashMap<String, Calibration> MEMORY = new ConcurrentHashMap<>();

    /** True unless calibration is turned off. */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    }

    /** True when the OpenCL device measured faster. */
    boolean openClWins() {
        return openclGelemPerS > cpuGelemPerS;
    }

    String describe(String openclDevice, String cpuDevice) {
        return String.format(Locale.ROOT, "%s %.3f Gelem/s vs %s %.3f Gelem/s on a %dx%d fused cross-entropy%s",
                openclDevice, openclGelemPerS, cpuDevice, cpuGelemPerS, ROWS, COLS, cached ? " (cached)" : "");
    }

    /** Measures (or recalls) the two backends. */
    static Calibration of(Backend opencl, Backend cpu) {
        XentTask task = SampleBatches.hardTargets(ROWS, COLS, 1, XentOptions.DEFAULTS);
        String code = opencl instanceof org.softmaxcl.opencl.OpenClBackend ob ? "|" + ob.measurementFingerprint(task) : "";
        String key = (opencl.report().device() + "|" + cpu.report().device() + code).replaceAll("[^A-Za-z0-9._|-]", "_");
        Calibration c = MEMORY.get(key);
        if (c != null) {
            return new Calibration(c.openclGelemPerS, c.cpuGelemPerS, true);
        }
        c = fromDisk(key);
        if (c == null) {
            c = new Calibration(measure(opencl, task, WARMUP_MS_DEVICE), measure(cpu, task, WARMUP_MS_CPU), false);
            toDisk(key, c);
        }
        MEMORY.put(key, c);
        return c;
    }

    private static double measure(Backend b, XentTask task, int warmupMs) {
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        do {
            b.crossEntropy(task, new RowOutputs(ROWS, false));
        } while (System.nanoTime() < warmEnd);
        long[] ns = new long[REPS];
        for (int i = 0; i < REPS; i++) {
            long t0 = System.nanoTime();
            b.crossEntropy(task, new RowOutputs(ROWS, false));
            ns[i] = System.nanoTime() - t0;
        }
        Arrays.sort(ns);
        return (double) ROWS * COLS / ns[REPS / 2];
    }

    private static Path file() {
        Path d = CacheFolder.dir();
        return d == null ? null : d.resolve("calibration.properties");
    }

    private static Calibration fromDisk(String key) {
        Path f = file();
        if (f == null || !Files.isRegularFile(f)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
            String v = p.getProperty(key);
            if (v == null) {
                return null;
            }
            String[] parts = v.split(",");
            return new Calibration(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), true);
        } catch (IOException | RuntimeException e) {
            return null;   // an unreadable cache is a cache miss
        }
    }

    private static void toDisk(String key, Calibration c) {
        Path f = file();
        if (f == null) {
            return;
        }
        try {
            Files.createDirectories(f.getParent());
            Properties p = new Properties();
            if (Files.isRegularFile(f)) {
                try (InputStream in = Files.newInputStream(f)) {
                    p.load(in);
                }
            }
            p.setProperty(key, c.openclGelemPerS + "," + c.cpuGelemPerS);
            Path tmp = Files.createTempFile(f.getParent(), "calibration", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "softmax-cl auto calibration: OpenCL Gelem/s, CPU Gelem/s");
            }
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // the cache is optional
        }
    }

    /** Forgets the in-memory results (tests). */
    static void forget() {
        MEMORY.clear();
    }
}
