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

    /** VmRSS after a few garbage collections (so dead Java objects and their cleaners are gone). */
    public static long settledRssKib() {
        gc();
        return rssKib();
    }

    /** A settled reading: VmRSS and the committed Java heap, in KiB. */
    public record Reading(long rssKib, long heapKib) {
        /** The resident memory outside the Java heap (native allocations, metaspace, code, stacks). */
        public long nonHeapKib() {
            return rssKib - heapKib;
        }

        @Override
        public String toString() {
            return "RSS " + rssKib + " KiB (heap " + heapKib + ", rest " + nonHeapKib() + ")";
        }
    }

    /** VmRSS and the committed heap after a few garbage collections. */
    public static Reading settled() {
        gc();
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        return new Reading(rssKib(), heap);
    }

    /** A few collections with pauses, so that cleaners and reference queues get to run. */
    public static void gc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
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
