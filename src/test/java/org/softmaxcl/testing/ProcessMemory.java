package org.softmaxcl.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the resource tests measure of this process: its resident set (VmRSS from
 * /proc/self/status, Linux), after the garbage collector has run; the part of it outside the
 * Java heap (VmRSS minus the committed heap, which the collector grows and shrinks on its own);
 * and the CPU backend's worker threads.
 */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** VmRSS in KiB, or −1 where /proc/self/status does not exist. */
    public static long rssKib() {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }

    /**
     * A settled reading: VmRSS and the committed Java heap, in KiB, and the JIT compilers' total
     * time so far, in ms (a reading taken while they still work sees their transient memory).
     */
    public record Reading(long rssKib, long heapKib, long jitMs) {
        /** The resident memory outside the Java heap (native allocations, metaspace, code, stacks). */
        public long nonHeapKib() {
            return rssKib - heapKib;
        }

        @Override
        public String toString() {
            return "RSS " + rssKib + " KiB (heap " + heapKib + ", rest " + nonHeapKib() + "; JIT " + jitMs + " ms)";
        }
    }

    /**
     * VmRSS and the committed heap after a few garbage collections, once VmRSS has stopped
     * falling: G1 (JDK 17) gives the memory of a heap shrunk by a collection back to the system
     * concurrently, after the collection has already lowered the committed size it reports, so
     * a reading taken at once counted up to 250 MiB of the old heap as memory outside it.
     */
    public static Reading settled() {
        gc();
        long rss = rssKib();
        for (int i = 0; i < 60; i++) {      // at most 3 s
            sleep(50);
            long now = rssKib();
            if (Math.abs(now - rss) < 512) {
                break;
            }
            rss = now;
        }
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        return new Reading(rssKib(), heap, jitMs());
    }

    /** Total time the JIT compilers have spent so far, in ms (−1 where the JVM does not say). */
    public static long jitMs() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /** A few collections with pauses, so that cleaners and reference queues get to run. */
    public static void gc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            sleep(20);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Settled readings taken at points of a long loop, the first after warm-up, and the growth
     * outside the heap in the quietest window between consecutive readings. A leak grows every
     * window; a one-off such as the C2 compiler's arenas for a late compile (30–40 MiB in the
     * first window of the CPU cycle test) grows one, so the quietest window bounds a leak without
     * failing on a one-off.
     */
    public static final class Windows {
        private final java.util.List<Reading> readings = new java.util.ArrayList<>();

        /** Takes a settled reading now. */
        public void read() {
            readings.add(settled());
        }

        /** The smallest growth outside the heap between consecutive readings, in KiB; needs two readings. */
        public long quietestGrowthKib() {
            if (readings.size() < 2) {
                throw new IllegalStateException("growth needs two readings, got " + readings.size());
            }
            long min = Long.MAX_VALUE;
            for (int i = 1; i < readings.size(); i++) {
                min = Math.min(min, readings.get(i).nonHeapKib() - readings.get(i - 1).nonHeapKib());
            }
            return min;
        }

        @Override
        public String toString() {
            return readings.stream().map(Reading::toString).collect(java.util.stream.Collectors.joining(" -> "));
        }
    }

    /** Live worker threads of CPU backends ({@code softmaxcl-cpu-*}). */
    public static long cpuWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("softmaxcl-cpu-") && t.isAlive()).count();
    }

    /**
     * Runs the garbage collector until {@code done} holds or {@code seconds} pass; returns whether
     * it held.
     */
    public static boolean gcUntil(java.util.function.BooleanSupplier done, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            gc();
        }
        return true;
    }
}
