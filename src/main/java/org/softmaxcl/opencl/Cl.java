package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_platform_id;

/**
 * Small helpers over JOCL: return-code checks (JOCL's JVM-wide exception switch is never used)
 * and typed info queries. Every JOCL call of the library goes through this package.
 */
final class Cl {
    private Cl() {
    }

    /** Throws {@link OpenClException} naming {@code call} when {@code code} is not CL_SUCCESS. */
    static void check(int code, String call) {
        if (code != CL_SUCCESS) {
            throw new OpenClException(call, code, null);
        }
    }

    /** The symbolic name of an error code, from JOCL ("CL_OUT_OF_RESOURCES"). */
    static String errorName(int code) {
        try {
            return CL.stringFor_errorCode(code);
        } catch (LinkageError e) {
            return "CL_ERROR";
        }
    }

    static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        check(clGetPlatformInfo(p, param, 0, null, size), "clGetPlatformInfo");
        byte[] b = new byte[(int) size[0]];
        check(clGetPlatformInfo(p, param, b.length, Pointer.to(b), null), "clGetPlatformInfo");
        return cString(b);
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        check(clGetDeviceInfo(d, param, 0, null, size), "clGetDeviceInfo");
        byte[] b = new byte[(int) size[0]];
        check(clGetDeviceInfo(d, param, b.length, Pointer.to(b), null), "clGetDeviceInfo");
        return cString(b);
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        check(clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        check(clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    static long deviceSize(cl_device_id d, int param) {
        ByteBuffer b = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        check(clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(b), null), "clGetDeviceInfo");
        return Sizeof.size_t == 8 ? b.getLong(0) : b.getInt(0) & 0xffffffffL;
    }

    /** A size_t work-group property of a built kernel on a device (e.g. CL_KERNEL_WORK_GROUP_SIZE). */
    static long kernelGroupSize(cl_kernel k, cl_device_id d, int param) {
        ByteBuffer b = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        check(clGetKernelWorkGroupInfo(k, d, param, Sizeof.size_t, Pointer.to(b), null), "clGetKernelWorkGroupInfo");
        return Sizeof.size_t == 8 ? b.getLong(0) : b.getInt(0) & 0xffffffffL;
    }

    private static String cString(byte[] b) {
        int n = b.length;
        while (n > 0 && b[n - 1] == 0) {
            n--;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }
}
