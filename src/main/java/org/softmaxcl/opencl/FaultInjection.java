package org.softmaxcl.opencl;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A seam for tests of the OpenCL host layer's failure handling: makes the n-th OpenCL call whose
 * name starts with a prefix fail with a chosen error code, before the call is made (so nothing is
 * created that would leak), makes the probe behave as if libOpenCL were missing, or makes the
 * device's largest allocation look smaller than it is. Process-wide; not for production use.
 * Every call site that can fail asks {@link #before(String)} first.
 */
public final class FaultInjection {
    private static volatile Rule rule;
    private static volatile boolean noLibrary;
    /** The largest buffer the device seems to allow (0: the device's own CL_DEVICE_MAX_MEM_ALLOC_SIZE). */
    private static volatile long maxAllocBytes;

    private FaultInjection() {
    }

    private static final class Rule {
        final String prefix;
        final int code;
        final AtomicInteger countdown;
        final boolean repeat;

        Rule(String prefix, int code, int skip, boolean repeat) {
            this.prefix = prefix;
            this.code = code;
            this.countdown = new AtomicInteger(skip);
            this.repeat = repeat;
        }
    }

    /**
     * The next OpenCL call whose name starts with {@code callPrefix}, after {@code skip} matching
     * calls have passed, fails with {@code code}; with {@code repeat}, every later match fails too.
     */
    public static void fail(String callPrefix, int code, int skip, boolean repeat) {
        rule = new Rule(callPrefix, code, skip, repeat);
    }

    /** The probe reports no OpenCL library (as an UnsatisfiedLinkError would) until {@link #clear()}. */
    public static void simulateMissingLibrary() {
        noLibrary = true;
        OpenClProbe.forget();
    }

    /**
     * Until {@link #clear()}, every device buffer above {@code bytes} is refused as if the device's
     * largest allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE) were {@code bytes}: how tests reach the
     * device's limit without allocating gigabytes.
     */
    public static void limitMaxAllocation(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes must be >= 1, got " + bytes);
        }
        maxAllocBytes = bytes;
    }

    /** The largest allocation to allow on a device whose own limit is {@code deviceMax}. */
    static long maxAllocBytes(long deviceMax) {
        long limit = maxAllocBytes;
        return limit > 0 ? Math.min(limit, deviceMax) : deviceMax;
    }

    /** Removes every injected fault and forgets the cached probe. */
    public static void clear() {
        boolean reprobe = noLibrary;
        rule = null;
        noLibrary = false;
        maxAllocBytes = 0;
        if (reprobe) {
            OpenClProbe.forget();
        }
    }

    static boolean libraryMissing() {
        return noLibrary;
    }

    /** Throws the injected {@link OpenClException} when {@code call} is due to fail. */
    static void before(String call) {
        int code = returnCode(call);
        if (code != 0) {
            throw new OpenClException(call, code, "injected fault");
        }
    }

    /**
     * The error code {@code call} is due to return (0, CL_SUCCESS, when none): for call sites
     * that handle a returned code themselves, so the injected failure takes their own error path.
     */
    static int returnCode(String call) {
        Rule r = rule;
        if (r == null || !call.startsWith(r.prefix)) {
            return 0;
        }
        int left = r.countdown.getAndDecrement();
        if (left <= 0) {
            if (!r.repeat) {
                rule = null;
            }
            return r.code;
        }
        return 0;
    }
}
