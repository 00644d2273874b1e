package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.util.HashMap;
import java.util.Map;

import org.jocl.Pointer;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * Builds each (source file, build options) program once per context and hands out its kernels,
 * one {@code cl_kernel} per (program, name). Not thread-safe: the backend's lock guards it, which
 * also serialises {@code clSetKernelArg} + enqueue on a shared kernel object.
 */
final class ProgramCache implements AutoCloseable {
    private final ClContext ctx;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();

    ProgramCache(ClContext ctx) {
        this.ctx = ctx;
    }

    /** The kernel {@code name} of {@code file} built with {@code options} (built on first use). */
    cl_kernel kernel(String file, String name, String options) {
        String key = file + "|" + options + "|" + name;
        cl_kernel k = kernels.get(key);
        if (k == null) {
            cl_program p = program(file, options);
            int[] err = new int[1];
            FaultInjection.before("clCreateKernel");
            k = clCreateKernel(p, name, err);
            Cl.check(err[0], "clCreateKernel(" + name + ")");
            ClObjects.KERNELS.incrementAndGet();
            kernels.put(key, k);
        }
        return k;
    }

    /** Programs built from a cached binary so far. */
    int binaryHits;

    /** Number of programs built so far. */
    int programCount() {
        return programs.size();
    }

    private cl_program program(String file, String options) {
        String key = file + "|" + options;
        cl_program p = programs.get(key);
        if (p != null) {
            return p;
        }
        String src = KernelSource.load(file);
        java.nio.file.Path binFile = BinaryCache.file(ctx.info(), file, src, options);
        // An injected build failure also skips the binary cache (a cached binary would hide it).
        int injected = FaultInjection.returnCode("clBuildProgram");
        p = injected != CL_SUCCESS ? null : BinaryCache.load(ctx, binFile, options);
        if (p != null) {
            binaryHits++;
            programs.put(key, p);
            return p;
        }
        int[] err = new int[1];
        FaultInjection.before("clCreateProgramWithSource");
        p = clCreateProgramWithSource(ctx.context, 1, new String[] {src}, null, err);
        Cl.check(err[0], "clCreateProgramWithSource(" + file + ")");
        ClObjects.PROGRAMS.incrementAndGet();
        // An injected failure takes the same path as a real one: the build log, release, message.
        int code = injected != CL_SUCCESS ? injected
                : clBuildProgram(p, 1, new cl_device_id[] {ctx.device.id()}, options, null, null);
        if (code != CL_SUCCESS) {
            String log = buildLog(p);
            clReleaseProgram(p);
            ClObjects.PROGRAMS.decrementAndGet();
            throw new OpenClException("clBuildProgram(" + file + " " + options + ")", code, log);
        }
        if (Boolean.getBoolean(BUILD_LOG_PROPERTY)) {
            System.err.println("softmax-cl: built " + file + " " + options + ": " + buildLog(p));
        }
        BinaryCache.write(binFile, p);
        programs.put(key, p);
        return p;
    }

    /**
     * System property: {@code true} prints the build log of every program built from source to
     * standard error (with NVIDIA's {@code -cl-nv-verbose}, through {@code softmaxcl.opencl.buildOptions},
     * the registers and spills of each kernel).
     */
    static final String BUILD_LOG_PROPERTY = "softmaxcl.opencl.buildLog";

    private String buildLog(cl_program p) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(p, ctx.device.id(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] b = new byte[(int) Math.min(size[0], 1 << 16)];
            clGetProgramBuildInfo(p, ctx.device.id(), CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
            return new String(b, java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (RuntimeException e) {
            return "(no build log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        for (cl_kernel k : kernels.values()) {
            clReleaseKernel(k);
            ClObjects.KERNELS.decrementAndGet();
        }
        for (cl_program p : programs.values()) {
            clReleaseProgram(p);
            ClObjects.PROGRAMS.decrementAndGet();
        }
        kernels.clear();
        programs.clear();
    }
}
