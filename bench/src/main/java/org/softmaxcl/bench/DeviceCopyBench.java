package org.softmaxcl.bench;

import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueFillBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseMemObject;

import java.util.concurrent.TimeUnit;

import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_queue_properties;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The OpenCL device's own copy bandwidth, the ceiling of {@link ResidentBench}: one
 * {@code clEnqueueCopyBuffer} of {@code mib} MiB between two device buffers, waited for. GB/s
 * counts the bytes read and written (2 × mib MiB per call), as the fused pass's 8 B/element does.
 * Runs on the first GPU of any platform, else the first OpenCL device.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class DeviceCopyBench {
    /** MiB copied per call (read once, written once). */
    @Param({"256"})
    public int mib;

    private cl_context context;
    private cl_command_queue queue;
    private cl_mem src;
    private cl_mem dst;
    private long bytes;

    @Setup(Level.Trial)
    public void setUp() {
        CL.setExceptionsEnabled(true);
        cl_device_id device = pickDevice();
        context = clCreateContext(null, 1, new cl_device_id[]{device}, null, null, null);
        queue = clCreateCommandQueueWithProperties(context, device, new cl_queue_properties(), null);
        bytes = (long) mib << 20;
        src = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        dst = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        float[] one = {1f};
        clEnqueueFillBuffer(queue, src, Pointer.to(one), Sizeof.cl_float, 0, bytes, 0, null, null);
        clEnqueueFillBuffer(queue, dst, Pointer.to(one), Sizeof.cl_float, 0, bytes, 0, null, null);
        clFinish(queue);
    }

    private static cl_device_id pickDevice() {
        int[] n = new int[1];
        clGetPlatformIDs(0, null, n);
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        clGetPlatformIDs(n[0], platforms, null);
        cl_device_id any = null;
        for (cl_platform_id p : platforms) {
            for (long type : new long[]{CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ALL}) {
                int[] count = new int[1];
                try {
                    clGetDeviceIDs(p, type, 0, null, count);
                } catch (RuntimeException e) {
                    continue;   // CL_DEVICE_NOT_FOUND
                }
                if (count[0] == 0) {
                    continue;
                }
                cl_device_id[] ids = new cl_device_id[count[0]];
                clGetDeviceIDs(p, type, count[0], ids, null);
                if (type == CL_DEVICE_TYPE_GPU) {
                    return ids[0];
                }
                if (any == null) {
                    any = ids[0];
                }
            }
        }
        if (any == null) {
            throw new IllegalStateException("no OpenCL device");
        }
        return any;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clReleaseMemObject(dst);
        clReleaseMemObject(src);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }

    @Benchmark
    public void copy() {
        clEnqueueCopyBuffer(queue, src, dst, 0, 0, bytes, 0, null, null);
        clFinish(queue);
    }
}
