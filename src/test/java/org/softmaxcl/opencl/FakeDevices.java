package org.softmaxcl.opencl;

/** Device descriptions for the host-side layout tests (no OpenCL runtime needed). */
final class FakeDevices {
    private FakeDevices() {
    }

    /**
     * A device of {@code type} ("CPU", "GPU"), vendor and name, with {@code units} compute units and
     * work-groups of at most {@code maxWorkGroup}; 8 GiB of memory, OpenCL 3.0, fp64.
     */
    static DeviceInfo of(String type, String vendor, String name, int units, long maxWorkGroup) {
        return new DeviceInfo(0, 0, "Platform", "OpenCL 3.0", name, vendor, "OpenCL 3.0", "1.0", "OpenCL C 1.2", type, units,
                1L << 33, 1L << 31, maxWorkGroup, true);
    }
}
