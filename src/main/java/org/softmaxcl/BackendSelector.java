package org.softmaxcl;

import java.lang.System.Logger.Level;
import java.util.function.IntSupplier;

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

    /** A chosen backend and why it was chosen. */
    record Selection(Backend backend, String reason) {
    }

    /** The last calibration {@code auto} used (for tests and reports), or null. */
    static volatile Calibration lastCalibration;

    static Selection select(BackendChoice choice) {
        return select(choice, BackendSelector::threads);
    }

    /**
     * {@link #select(BackendChoice)} with the CPU threads from {@code threads} (the CPU backend's
     * and auto's calibration), read only where a CPU backend is made.
     */
    static Selection select(BackendChoice choice, IntSupplier threads) {
        Selection s;
        switch (choice) {
            case CPU:
                s = new Selection(new CpuBackend(threads.getAsInt(), "CPU backend requested"), "CPU backend requested");
                break;
            case OPENCL:
                try {
                    s = new Selection(OpenClGate.open(setting(DEVICE_PROPERTY, DEVICE_ENV), "OpenCL backend requested"),
                            "OpenCL backend requested");
                } catch (RuntimeException e) {
                    throw new IllegalStateException("OpenCL backend requested, but no OpenCL device can be used: "
                            + e.getMessage(), e);
                }
                break;
            default:
                s = auto(threads);
        }
        LOG.log(Level.DEBUG, "softmax-cl: {0} ({1})", s.backend().report(), s.reason());
        return s;
    }

    /**
     * The OpenCL device when it measured faster than the Java CPU path ({@link Calibration}), GPUs
     * included: host arrays cross the bus on every call, and a many-core CPU can beat a GPU end to
     * end (measured on an H100 over PCIe against 16 cores); otherwise the CPU, with the reason.
     */
    private static Selection auto(IntSupplier threads) {
        Backend opencl;
        try {
            opencl = OpenClGate.open(setting(DEVICE_PROPERTY, DEVICE_ENV), "auto");
        } catch (RuntimeException | LinkageError e) {
            String why = "auto: OpenCL unavailable: " + e.getMessage();
            return new Selection(new CpuBackend(threads.getAsInt(), why), why);
        }
        String device = opencl.report().device();
        if (!Calibration.enabled()) {
            return new Selection(opencl, "auto: an OpenCL device is available (calibration off: "
                    + Calibration.PROPERTY + "=false)");
        }
        CpuBackend cpu = new CpuBackend(threads.getAsInt(), "auto");
        Calibration c;
        try {
            c = Calibration.of(opencl, cpu);
        } catch (RuntimeException e) {
            opencl.close();
            String why = "auto: OpenCL device " + device + " failed its calibration (" + e.getMessage() + ")";
            return new Selection(cpu, why);
        }
        lastCalibration = c;
        String measured = c.describe(device, cpu.report().device());
        if (c.openClWins()) {
            cpu.close();
            return new Selection(opencl, "auto: the OpenCL device measured faster: " + measured);
        }
        opencl.close();
        return new Selection(cpu, "auto: the Java CPU path measured faster than the OpenCL device: " + measured);
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
