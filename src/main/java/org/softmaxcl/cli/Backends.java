package org.softmaxcl.cli;

import org.softmaxcl.BackendChoice;
import org.softmaxcl.Engine;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How the commands get an engine from {@code --backend}. Without the option the library's own
 * choice applies ({@link Engine#auto()}: the system property {@value BackendChoice#PROPERTY}, the
 * environment variable {@value BackendChoice#ENV}, else auto). The benchmark gives its
 * {@code --threads} to the engine ({@link Engine#create(BackendChoice, int)}).
 */
final class Backends {
    /** Same names as the library's selector (org.softmaxcl.BackendSelector, package-private there). */
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
     * The engine for {@code choice} (null: the library's default, as {@link Engine#auto()} reads
     * it from the environment) with {@code threads} CPU threads.
     *
     * @throws IllegalStateException when OpenCL is asked for explicitly and no device works
     */
    static Engine engine(BackendChoice choice, int threads) {
        return Engine.create(choice != null ? choice : BackendChoice.fromEnvironment(), threads);
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
