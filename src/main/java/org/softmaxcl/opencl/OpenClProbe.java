package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Finds OpenCL platforms and devices once per process and caches the verdict.
 *
 * <p>A missing libOpenCL makes JOCL's first touch throw {@link UnsatisfiedLinkError} and every
 * later one {@link NoClassDefFoundError}: both are caught here, once. With the loader but no
 * driver, clGetPlatformIDs returns CL_PLATFORM_NOT_FOUND_KHR (−1001), which means zero platforms;
 * CL_DEVICE_NOT_FOUND means a platform without devices. Neither is an error.
 */
public final class OpenClProbe {
    private static volatile Probe cached;

    private OpenClProbe() {
    }

    /** What was found (cached after the first call). */
    public static ProbeResult probe() {
        return probeWithHandles().result;
    }

    static Probe probeWithHandles() {
        Probe p = cached;
        if (p == null) {
            synchronized (OpenClProbe.class) {
                p = cached;
                if (p == null) {
                    p = run();
                    cached = p;
                }
            }
        }
        return p;
    }

    /**
     * The device {@code auto} prefers: a GPU, else an accelerator, else any device; among equals the
     * one with more compute units. A selector ({@code "1:0"} platform:device, or a case-insensitive
     * part of the device name) picks explicitly. Null when there is none.
     *
     * @throws IllegalArgumentException when a selector matches no device
     */
    static ClDevice choose(String selector) {
        List<ClDevice> all = probeWithHandles().devices;
        if (all.isEmpty()) {
            return null;
        }
        if (selector != null && !selector.isBlank()) {
            String s = selector.trim().toLowerCase(Locale.ROOT);
            for (ClDevice d : all) {
                if (d.info().id().equals(s) || d.info().name().toLowerCase(Locale.ROOT).contains(s)) {
                    return d;
                }
            }
            throw new IllegalArgumentException("device selector '" + selector + "' matches none of: "
                    + all.stream().map(d -> d.info().id() + " " + d.info().name()).toList());
        }
        return all.stream().min(Comparator.comparingInt((ClDevice d) -> rank(d.info()))
                .thenComparing(d -> -d.info().computeUnits())).orElse(null);
    }

    private static int rank(DeviceInfo d) {
        switch (d.type()) {
            case "GPU": return 0;
            case "ACCELERATOR": return 1;
            case "CPU": return 2;
            default: return 3;
        }
    }

    /** Forgets the cached verdict (after a fault-injection change in tests). */
    static synchronized void forget() {
        cached = null;
    }

    private static Probe run() {
        try {
            if (FaultInjection.libraryMissing()) {
                throw new UnsatisfiedLinkError("injected fault: libOpenCL.so not loadable");
            }
            FaultInjection.before("clGetPlatformIDs");
            int[] count = new int[1];
            int err = clGetPlatformIDs(0, null, count);
            if (err == CL_PLATFORM_NOT_FOUND_KHR) {
                return new Probe(new ProbeResult(true, 0, List.of(), "clGetPlatformIDs: CL_PLATFORM_NOT_FOUND_KHR"), List.of());
            }
            Cl.check(err, "clGetPlatformIDs");
            int np = count[0];
            cl_platform_id[] platforms = new cl_platform_id[np];
            if (np > 0) {
                Cl.check(clGetPlatformIDs(np, platforms, null), "clGetPlatformIDs");
            }
            List<ClDevice> devices = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (int p = 0; p < np; p++) {
                try {
                    addDevices(p, platforms[p], devices);
                } catch (OpenClException e) {
                    problems.add("platform " + p + ": " + e.getMessage());
                }
            }
            List<DeviceInfo> infos = devices.stream().map(ClDevice::info).toList();
            return new Probe(new ProbeResult(true, np, infos, problems.isEmpty() ? null : String.join("; ", problems)), devices);
        } catch (LinkageError e) {
            return new Probe(new ProbeResult(false, 0, List.of(), e.getClass().getSimpleName() + ": " + e.getMessage()
                    + loaderHint()), List.of());
        } catch (OpenClException e) {
            return new Probe(new ProbeResult(true, 0, List.of(), e.getMessage()), List.of());
        }
    }

    /**
     * JOCL opens the unversioned libOpenCL.so, which Debian and Ubuntu ship only in the -dev package;
     * when the runtime's libOpenCL.so.1 is there, say how to fix it.
     */
    private static String loaderHint() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
            if (java.nio.file.Files.exists(java.nio.file.Path.of(dir, "libOpenCL.so.1"))
                    && !java.nio.file.Files.exists(java.nio.file.Path.of(dir, "libOpenCL.so"))) {
                return "; " + dir + "/libOpenCL.so.1 exists but JOCL loads libOpenCL.so: install ocl-icd-opencl-dev "
                        + "(Debian/Ubuntu) or link libOpenCL.so to it";
            }
        }
        return "";
    }

    private static void addDevices(int pi, cl_platform_id platform, List<ClDevice> out) {
        int[] count = new int[1];
        int err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, count);
        if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && count[0] == 0)) {
            return;
        }
        Cl.check(err, "clGetDeviceIDs");
        cl_device_id[] ids = new cl_device_id[count[0]];
        Cl.check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null), "clGetDeviceIDs");
        String pname = Cl.platformString(platform, CL_PLATFORM_NAME);
        String pversion = Cl.platformString(platform, CL_PLATFORM_VERSION);
        for (int d = 0; d < ids.length; d++) {
            cl_device_id id = ids[d];
            long type = Cl.deviceLong(id, CL_DEVICE_TYPE);
            String typeName = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU"
                    : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR"
                    : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "OTHER";
            String ext = Cl.deviceString(id, CL_DEVICE_EXTENSIONS);
            DeviceInfo info = new DeviceInfo(pi, d, pname, pversion,
                    Cl.deviceString(id, CL_DEVICE_NAME), Cl.deviceString(id, CL_DEVICE_VENDOR),
                    Cl.deviceString(id, CL_DEVICE_VERSION), Cl.deviceString(id, CL_DRIVER_VERSION),
                    Cl.deviceString(id, CL_DEVICE_OPENCL_C_VERSION), typeName,
                    Cl.deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS), Cl.deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE),
                    Cl.deviceLong(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE), Cl.deviceSize(id, CL_DEVICE_MAX_WORK_GROUP_SIZE),
                    ext.contains("cl_khr_fp64"));
            out.add(new ClDevice(platform, id, info));
        }
    }

    /** The cached probe with the JOCL handles. */
    static final class Probe {
        final ProbeResult result;
        final List<ClDevice> devices;

        Probe(ProbeResult result, List<ClDevice> devices) {
            this.result = result;
            this.devices = devices;
        }
    }
}
