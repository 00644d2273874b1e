package org.softmaxcl.cpu;

import java.lang.System.Logger.Level;

/**
 * Chooses the CPU kernel path once per process, the Lucene way: the Vector API kernels when the
 * {@code jdk.incubator.vector} module is readable (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}) and the plain-Java float32 kernels
 * ({@link Float32Kernels}) otherwise, with one log line saying which and, when the fast path is
 * off, how to turn it on. A missing vector class inside the jar is a packaging bug and is thrown,
 * not hidden. The system property {@value #PROPERTY} forces a path: {@code scalar} (the float64
 * reference kernels), {@code float32} or {@code vector}.
 */
public final class CpuKernelsProvider {
    /** System property forcing a path: {@code scalar}, {@code float32} or {@code vector}. */
    public static final String PROPERTY = "softmaxcl.cpu.kernels";
    private static final System.Logger LOG = System.getLogger(CpuKernelsProvider.class.getName());

    private CpuKernelsProvider() {
    }

    static CpuKernels kernels() {
        return Holder.KERNELS;
    }

    /** Name of the path in use ("scalar", "scalar-float32", "vector-256"). */
    public static String pathName() {
        return Holder.KERNELS.name();
    }

    /** True when the Vector API module is readable in this JVM. */
    public static boolean vectorModuleReadable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The vector kernels; throws IllegalStateException when the module is not readable. */
    static CpuKernels vector() {
        if (!vectorModuleReadable()) {
            throw new IllegalStateException("jdk.incubator.vector is not readable: start the JVM with "
                    + "--add-modules jdk.incubator.vector");
        }
        try {
            return (CpuKernels) Class.forName("org.softmaxcl.cpu.VectorKernels").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("packaging bug: org.softmaxcl.cpu.VectorKernels cannot be loaded", e);
        }
    }

    private static CpuKernels choose() {
        String forced = System.getProperty(PROPERTY, "");
        if (forced.equalsIgnoreCase("scalar")) {
            LOG.log(Level.INFO, "softmax-cl CPU kernels: scalar ({0}=scalar)", PROPERTY);
            return new ScalarKernels();
        }
        if (forced.equalsIgnoreCase("float32")) {
            LOG.log(Level.INFO, "softmax-cl CPU kernels: scalar-float32 ({0}=float32)", PROPERTY);
            return new Float32Kernels();
        }
        if (vectorModuleReadable()) {
            CpuKernels k = vector();
            LOG.log(Level.INFO, "softmax-cl CPU kernels: {0} (Vector API; {1})", k.name(), k.detail());
            return k;
        }
        if (forced.equalsIgnoreCase("vector")) {
            throw new IllegalStateException(PROPERTY + "=vector but jdk.incubator.vector is not readable: "
                    + "start the JVM with --add-modules jdk.incubator.vector");
        }
        LOG.log(Level.INFO, "softmax-cl CPU kernels: scalar-float32; for the Vector API path (several times "
                + "faster) start the JVM with --add-modules jdk.incubator.vector");
        return new Float32Kernels();
    }

    private static final class Holder {
        static final CpuKernels KERNELS = choose();
    }
}
