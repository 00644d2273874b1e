package org.softmaxcl.cli;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;
import org.softmaxcl.backend.Backend;
import org.softmaxcl.cpu.CpuBackend;
import org.softmaxcl.opencl.OpenClBackend;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How the commands get an engine from {@code --backend}. Without the option the library's own
 * choice applies ({@link Engine#auto()}: the system property {@value BackendChoice#PROPERTY}, the
 * environment variable {@value BackendChoice#ENV}, else auto).
 *
 * <p>The benchmark needs the OpenCL backend object itself (for its kernel-only timings), so
 * {@link #open} builds the backend here with the same semantics as the library's selector: auto
 * tries OpenCL and falls back to the CPU, saying why; an explicit {@code opencl} fails when no
 * device works.
 */
final class Backends {
    /** Same names as the library's selector (org.softmaxcl.BackendSelector, package-private there). */
    static final String DEVICE_PROPERTY = "softmaxcl.device";
    static final String DEVICE_ENV = "SOFTMAXCL_DEVICE";
    static final String LAYOUT_PROPERTY = "softmaxcl.opencl.layout";
    static final String THREADS_PROPERTY = "softmaxcl.threads";
    static final String THREADS_ENV = "SOFTMAXCL_THREADS";

    private Backends() {
    }

    /** Parses {@code --backend} values (auto, cpu, opencl; any case). */
    static final class Converter implements ITypeConverter<BackendChoice> {
        @Override
        public BackendChoice convert(String value) {
            try {
                return BackendChoice.parse(value, "--backend");
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("expected auto, cpu or opencl but was '" + value + "'");
            }
        }
    }

    /** The engine for {@code choice}; null means the library's default ({@link Engine#auto()}). */
    static Engine engine(BackendChoice choice) {
        return choice == null ? Engine.auto() : Engine.create(choice);
    }

    /**
     * A backend opened by the command line, with the OpenCL backend object when that is what it is.
     *
     * @param backend the backend (give it to {@link Engine#over}, which closes it)
     * @param opencl  the same object when it is an OpenCL backend, else null
     */
    record Opened(Backend backend, OpenClBackend opencl) {
        String name() {
            return opencl != null ? "opencl" : "cpu";
        }
    }

    /**
     * Opens the backend for {@code choice} (null: from the environment, as {@link Engine#auto()}).
     *
     * @param threads CPU threads (≥ 1)
     * @throws IllegalStateException when OpenCL is asked for explicitly and no device works
     */
    static Opened open(BackendChoice choice, int threads) {
        BackendChoice c = choice != null ? choice : BackendChoice.fromEnvironment();
        switch (c) {
            case CPU:
                return new Opened(new CpuBackend(threads, "CPU backend requested"), null);
            case OPENCL:
                try {
                    OpenClBackend b = openCl("OpenCL backend requested");
                    return new Opened(b, b);
                } catch (RuntimeException | LinkageError e) {
                    throw new IllegalStateException("OpenCL backend requested, but no OpenCL device can be used: "
                            + e.getMessage(), e);
                }
            default:
                try {
                    OpenClBackend b = openCl("auto: an OpenCL device is available");
                    return new Opened(b, b);
                } catch (RuntimeException | LinkageError e) {
                    return new Opened(new CpuBackend(threads, "auto: OpenCL unavailable: " + e.getMessage()), null);
                }
        }
    }

    private static OpenClBackend openCl(String reason) {
        return OpenClBackend.open(setting(DEVICE_PROPERTY, DEVICE_ENV), System.getProperty(LAYOUT_PROPERTY), reason);
    }

    /** CPU threads: {@code requested} when set, else the library's setting, else the processor count. */
    static int threads(Integer requested) {
        if (requested != null) {
            if (requested < 1) {
                throw new UsageException("--threads must be >= 1, got " + requested);
            }
            return requested;
        }
        String s = setting(THREADS_PROPERTY, THREADS_ENV);
        if (s != null) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new UsageException(THREADS_PROPERTY + " / " + THREADS_ENV + " must be an integer >= 1, got '" + s + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static String setting(String property, String env) {
        String p = System.getProperty(property);
        if (p != null && !p.isBlank()) {
            return p;
        }
        String e = System.getenv(env);
        return e != null && !e.isBlank() ? e : null;
    }
}
