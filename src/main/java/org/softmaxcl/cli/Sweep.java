package org.softmaxcl.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.NonFinitePolicy;
import org.softmaxcl.cpu.HostCopy;

/**
 * {@code bench --sweep}: one operation over a grid of shapes, K = 2, 4, 16, …, 262144 (powers of
 * 4) with N = max(1, 2²²/K) so every shape holds about 4 M elements, on every available backend
 * (the CPU, and OpenCL when a device opens; or only the one {@code --backend} names). Writes
 * {@code sweep.csv} and {@code sweep.png} into the output folder.
 *
 * <p>{@code --quick} (for tests): K = 2, 64, 4096 with about 4096 elements per shape.
 */
final class Sweep {
    /** The default grid: K from 2 to 262144. */
    static final int[] CLASSES = {2, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144};
    static final int[] QUICK_CLASSES = {2, 64, 4096};
    static final long ELEMENTS = 1L << 22;
    static final long QUICK_ELEMENTS = 1L << 12;

    private Sweep() {
    }

    /** Runs the sweep; returns every result in backend, then K order. */
    static List<BenchResult> run(BackendChoice choice, int threads, HostCopy copy, BenchRunner.Op op,
                                 NonFinitePolicy nonFinite, boolean quick, int warmup, int reps, long seed,
                                 PrintWriter err, Progress progress) {
        List<BackendChoice> backends = new ArrayList<>();
        if (choice == null || choice == BackendChoice.AUTO) {
            backends.add(BackendChoice.CPU);
            backends.add(BackendChoice.OPENCL);
        } else {
            backends.add(choice);
        }
        int[] grid = quick ? QUICK_CLASSES : CLASSES;
        long elements = quick ? QUICK_ELEMENTS : ELEMENTS;
        List<BenchResult> results = new ArrayList<>();
        for (BackendChoice b : backends) {
            Engine engine;
            try {
                engine = Backends.engine(b, threads);
            } catch (IllegalStateException e) {
                if (choice == BackendChoice.OPENCL) {
                    throw e;
                }
                err.println("bench --sweep: skipping OpenCL: " + e.getMessage());
                continue;
            }
            try (engine) {
                for (int k : grid) {
                    int n = (int) Math.max(1, elements / k);
                    results.add(BenchRunner.run(engine, threads, copy, op, nonFinite, n, k, warmup,
                            reps, seed, progress));
                }
            }
        }
        return results;
    }

    /** Writes {@code sweep.csv} and {@code sweep.png} into {@code dir} (created when missing). */
    static List<Path> write(Path dir, List<BenchResult> results, BenchRunner.Op op) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot create " + dir + ": " + e.getMessage(), e);
        }
        StringBuilder csv = new StringBuilder(BenchResult.csvHeader()).append('\n');
        for (BenchResult r : results) {
            csv.append(r.csvRow()).append('\n');
        }
        Path csvFile = dir.resolve("sweep.csv");
        Path pngFile = dir.resolve("sweep.png");
        String title = String.format(Locale.ROOT, "softmax-cl %s throughput, N·K ≈ %s elements", op.label(),
                results.isEmpty() ? "?" : Long.toString(results.get(0).elements()));
        byte[] png = SweepChart.png(results, title);
        Outputs.writeBytes(csvFile, csv.toString().getBytes(StandardCharsets.UTF_8));
        Outputs.writeBytes(pngFile, png);
        return List.of(csvFile, pngFile);
    }
}
