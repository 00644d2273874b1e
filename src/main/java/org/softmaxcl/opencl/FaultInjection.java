package org.softmaxcl.opencl;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A seam for tests of the OpenCL host layer's failure handling: makes the n-th OpenCL call whose
 * name starts with a prefix fail with a chosen error code, before the call is made (so nothing is
 * created that would leak), or makes the probe behave as if libOpenCL were missing. Process-wide;
 * not for production use. Every call site that can fail asks {@link #before(String)} first.
 */
public final class FaultInjection {
    private static volatile Rule rule;
    private static volatile boolean noLibrary;

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

    /** Removes every injected fault and forgets the cached probe. */
    public static void clear() {
        boolean reprobe = noLibrary;
        rule = null;
        noLibrary = false;
        if (reprobe) {
            OpenClProbe.forget();
        }
    }

    static boolean libraryMissing() {
        return noLibrary;
    }

    /** Throws the injected {@link OpenClException} when {@code call} is due to fail. */
    static void before(String call) {
        Rule r = rule;
        if (r == null || !call.startsWith(r.prefix)) {
            return;
        }
        int left = r.countdown.getAndDecrement();
        if (left <= 0) {
            if (!r.repeat) {
                rule = null;
            }
            throw new OpenClException(call, r.code, "injected fault");
        }
    }
}
