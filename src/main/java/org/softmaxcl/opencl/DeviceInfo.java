package org.softmaxcl.opencl;

import java.util.Locale;

/**
 * What the library knows of one OpenCL device.
 *
 * @param platformIndex   index of its platform in clGetPlatformIDs order
 * @param deviceIndex     index of the device within its platform
 * @param platformName    platform name ("Portable Computing Language")
 * @param platformVersion platform version string
 * @param name            device name
 * @param vendor          device vendor
 * @param version         device OpenCL version string
 * @param driverVersion   driver version string
 * @param openclC         OpenCL C version string
 * @param type            "GPU", "CPU", "ACCELERATOR" or "OTHER"
 * @param computeUnits    number of compute units
 * @param globalMemBytes  global memory in bytes
 * @param maxAllocBytes   largest single buffer in bytes
 * @param maxWorkGroup    largest work-group size
 * @param fp64            whether double precision is supported
 */
public record DeviceInfo(int platformIndex, int deviceIndex, String platformName, String platformVersion,
                         String name, String vendor, String version, String driverVersion, String openclC,
                         String type, int computeUnits, long globalMemBytes, long maxAllocBytes, long maxWorkGroup,
                         boolean fp64) {

    /** True for a GPU. */
    public boolean isGpu() {
        return "GPU".equals(type);
    }

    /** True for a CPU device (PoCL's pthread device, for instance). */
    public boolean isCpu() {
        return "CPU".equals(type);
    }

    /** {@code platform:device} indices. */
    public String id() {
        return platformIndex + ":" + deviceIndex;
    }

    /** A one-line description: name, type, platform, compute units, memory. */
    public String describe() {
        return String.format(Locale.ROOT, "%s [%s, %s, %d CU, %.1f GiB, %s]", name, type, platformName,
                computeUnits, globalMemBytes / (1024.0 * 1024 * 1024), version);
    }
}
