package org.softmaxcl.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** A device found by the probe: its JOCL handles and its description. */
record ClDevice(cl_platform_id platform, cl_device_id id, DeviceInfo info) {
}
