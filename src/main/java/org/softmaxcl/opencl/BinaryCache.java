package org.softmaxcl.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_program;
import org.softmaxcl.backend.CacheFolder;

/**
 * Program binaries on disk, under {@code kernels/} in the {@link CacheFolder}, one file per
 * (device name, driver version, OpenCL C version, source hash, build options): a later process
 * builds from the binary instead of compiling the source (PoCL: about a second per variant). A
 * binary the driver refuses is ignored and the source compiled again.
 */
final class BinaryCache {
    private BinaryCache() {
    }

    /** The cache file of a program, or null when disk caches are off. */
    static Path file(DeviceInfo d, String sourceName, String source, String options) {
        Path dir = CacheFolder.dir();
        if (dir == null) {
            return null;
        }
        String key = d.name() + "\n" + d.driverVersion() + "\n" + d.openclC() + "\n" + d.platformVersion() + "\n"
                + options + "\n" + source;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return dir.resolve("kernels").resolve(sourceName.replace(".cl", "") + "-" + HexFormat.of().formatHex(h, 0, 12) + ".bin");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    /** The cached binary, or null. */
    static byte[] read(Path f) {
        if (f == null || !Files.isRegularFile(f)) {
            return null;
        }
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            return null;
        }
    }

    /** Stores the binary of a built program (single device); failures are ignored. */
    static void write(Path f, cl_program p) {
        if (f == null) {
            return;
        }
        try {
            long[] size = new long[1];
            if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null) != CL_SUCCESS
                    || size[0] <= 0 || size[0] > Integer.MAX_VALUE) {
                return;
            }
            byte[] bin = new byte[(int) size[0]];
            Pointer[] ptrs = {Pointer.to(bin)};
            if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(ptrs), null) != CL_SUCCESS) {
                return;
            }
            Files.createDirectories(f.getParent());
            Path tmp = Files.createTempFile(f.getParent(), f.getFileName().toString(), ".tmp");
            Files.write(tmp, bin);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // the cache is optional
        }
    }

    /** A program from a cached binary, built; null when there is none or the driver refuses it. */
    static cl_program load(ClContext ctx, Path f, String options) {
        byte[] bin = read(f);
        if (bin == null) {
            return null;
        }
        int[] status = new int[1];
        int[] err = new int[1];
        cl_program p = clCreateProgramWithBinary(ctx.context, 1, new cl_device_id[] {ctx.device.id()},
                new long[] {bin.length}, new byte[][] {bin}, status, err);
        if (err[0] != CL_SUCCESS || status[0] != CL_SUCCESS || p == null) {
            return null;
        }
        ClObjects.PROGRAMS.incrementAndGet();
        if (clBuildProgram(p, 1, new cl_device_id[] {ctx.device.id()}, options, null, null) != CL_SUCCESS) {
            clReleaseProgram(p);
            ClObjects.PROGRAMS.decrementAndGet();
            return null;
        }
        return p;
    }
}
