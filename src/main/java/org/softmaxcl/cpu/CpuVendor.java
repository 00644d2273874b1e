package org.softmaxcl.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The CPU's vendor string as the kernel reports it ({@code vendor_id} in {@code /proc/cpuinfo}:
 * "GenuineIntel", "AuthenticAMD"), read once; "" where it cannot be read (not Linux, no such
 * line, as on most ARM kernels). Java has no CPUID; the small-K kernels use this to choose how
 * rows move into vector lanes ({@code LaneTile#gatherByDefault}), since gathers are fast on
 * Intel's AVX-512 cores and microcoded on AMD's.
 */
final class CpuVendor {
    static final String INTEL = "GenuineIntel";
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private CpuVendor() {
    }

    /** The vendor string of this machine, or "" when unknown. */
    static String id() {
        return Holder.ID;
    }

    /** The first {@code vendor_id} value among cpuinfo's lines, trimmed; "" when there is none. */
    static String parse(Stream<String> cpuinfo) {
        return cpuinfo.map(CpuVendor::vendorOf).filter(v -> !v.isEmpty()).findFirst().orElse("");
    }

    /** The value of a {@code vendor_id} line, trimmed; "" for any other line. */
    private static String vendorOf(String line) {
        int colon = line.indexOf(':');
        return colon > 0 && line.substring(0, colon).trim().equals("vendor_id") ? line.substring(colon + 1).trim() : "";
    }

    /** Reads cpuinfo up to its first vendor_id line (the first processor's block, not the file's every core). */
    private static String read() {
        if (!Files.isReadable(CPUINFO)) {
            return "";
        }
        try (Stream<String> lines = Files.lines(CPUINFO, StandardCharsets.ISO_8859_1)) {
            return parse(lines);
        } catch (IOException | RuntimeException e) {
            return "";   // unknown: the callers' portable default
        }
    }

    private static final class Holder {
        static final String ID = read();
    }
}
