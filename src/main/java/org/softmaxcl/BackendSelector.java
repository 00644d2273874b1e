package org.softmaxcl;

import java.lang.System.Logger.Level;

import org.softmaxcl.backend.Backend;
import org.softmaxcl.cpu.CpuBackend;

/**
 * Picks the backend of a new engine and records why. The OpenCL package is reached only through
 * {@link OpenClGate}, so the CPU path never loads JOCL.
 */
final class BackendSelector {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());

    /** System property / environment variable naming the number of CPU threads. */
    static final String THREADS_PROPERTY = "softmaxcl.threads";
    static final String THREADS_ENV = "SOFTMAXCL_THREADS";
    /** System property / environment variable selecting the OpenCL device ("0:1" or part of its name). */
    static final String DEVICE_PROPERTY = "softmaxcl.device";
    static final String DEVICE_ENV = "SOFTMAXCL_DEVICE";

    private BackendSelector() {
    }

    static Backend select(BackendChoice choice) {
        Backend b;
        switch (choice) {
            case CPU:
                b = new CpuBackend(threads(), "CPU backend requested");
                break;
            case OPENCL:
                try {
                    b = OpenClGate.open(setting(DEVICE_PROPERTY, DEVICE_ENV), "OpenCL backend requested");
                } catch (RuntimeException e) {
                    throw new IllegalStateException("OpenCL backend requested, but no OpenCL device can be used: "
                            + e.getMessage(), e);
                }
                break;
            default:
                b = auto();
        }
        LOG.log(Level.DEBUG, "softmax-cl: {0}", b.report());
        return b;
    }

    private static Backend auto() {
        String why;
        try {
            return OpenClGate.open(setting(DEVICE_PROPERTY, DEVICE_ENV), "auto: an OpenCL device is available");
        } catch (RuntimeException | LinkageError e) {
            why = e.getMessage();
        }
        return new CpuBackend(threads(), "auto: OpenCL unavailable: " + why);
    }

    static int threads() {
        String s = setting(THREADS_PROPERTY, THREADS_ENV);
        if (s == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(THREADS_PROPERTY + " / " + THREADS_ENV + " must be an integer >= 1, got '" + s + "'");
    }

    static String setting(String property, String env) {
        String p = System.getProperty(property);
        if (p != null && !p.isBlank()) {
            return p;
        }
        String e = System.getenv(env);
        return e != null && !e.isBlank() ? e : null;
    }
}
