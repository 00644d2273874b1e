package org.softmaxcl.opencl;

import java.util.List;

/**
 * What the OpenCL probe found.
 *
 * @param libraryLoaded whether JOCL and the OpenCL ICD loader could be loaded
 * @param platforms     number of platforms (0 when the loader finds no driver: CL_PLATFORM_NOT_FOUND_KHR)
 * @param devices       every device of every platform
 * @param problem       null when the probe ran cleanly; otherwise what went wrong, in words
 */
public record ProbeResult(boolean libraryLoaded, int platforms, List<DeviceInfo> devices, String problem) {
    public ProbeResult {
        devices = List.copyOf(devices);
    }

    /** One line on why no device can be used, or null when there is one. */
    public String whyNoDevice() {
        if (!libraryLoaded) {
            return "no OpenCL library (" + problem + ")";
        }
        if (platforms == 0) {
            return "zero OpenCL platforms" + (problem == null ? "" : " (" + problem + ")");
        }
        if (devices.isEmpty()) {
            return "zero OpenCL devices on " + platforms + " platform" + (platforms == 1 ? "" : "s")
                    + (problem == null ? "" : " (" + problem + ")");
        }
        return null;
    }
}
