package org.softmaxcl.testing;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.softmaxcl.Engine;
import org.softmaxcl.cpu.CpuBackend;
import org.softmaxcl.opencl.OpenClBackend;

/**
 * The backends under test, each behind one shared {@link Engine} per test JVM (so OpenCL programs
 * are built once for the whole suite). An OpenCL engine that cannot be opened throws from
 * {@link #engine()}: a test that asks for it fails, it never skips.
 *
 * <p>Test classes that use {@link #OPENCL_V0}, {@link #OPENCL_V1} or {@link #OPENCL_V2} carry the JUnit tag
 * {@code "opencl"}, so {@code mvn test -DexcludedGroups=opencl} runs the CPU half alone.
 */
public enum Backends {
    /** The scalar reference kernels on 2 threads. */
    CPU_SCALAR(() -> CpuBackend.scalar(2, "test")),
    /** The plain-Java float32 kernels (the path without the Vector API module) on 2 threads. */
    CPU_FLOAT32(() -> CpuBackend.float32(2, "test")),
    /** The CPU backend as {@code Engine.cpu()} builds it (the best kernel path), 2 threads. */
    CPU_DEFAULT(() -> new CpuBackend(2, "test")),
    /** OpenCL, kernel layout V0: a work-item per row. */
    OPENCL_V0(() -> OpenClBackend.open(null, "v0", "test")),
    /** OpenCL, kernel layout V1: a work-group of 64 work-items per row. */
    OPENCL_V1(() -> OpenClBackend.open(null, "v1:64", "test")),
    /** OpenCL, kernel layout V2: a work-group of 32 work-items per row, reading and writing quads of floats. */
    OPENCL_V2(() -> OpenClBackend.open(null, "v2:32", "test")),
    /** OpenCL with the layout the tuning database picks for the device (V0v, vector registers, on PoCL). */
    OPENCL_AUTO(() -> OpenClBackend.open(null, null, "test")),
    /** OpenCL, kernel layout V3 for cross-entropy: each row split into 4 chunks of 64 work-items (softmax runs V1). */
    OPENCL_V3(() -> OpenClBackend.open(null, "v3:64:4", "test")),
    /** As {@link #OPENCL_V1}, each work-group walking 3 consecutive rows (RPG). */
    OPENCL_V1_ROWS(() -> OpenClBackend.open(null, "v1:64:3", "test")),
    /** As {@link #OPENCL_V2}, each work-group walking 3 consecutive rows (RPG; with the row cache, loading the next row early). */
    OPENCL_V2_ROWS(() -> OpenClBackend.open(null, "v2:32:3", "test"));

    /** The CPU backends. */
    public static final List<Backends> CPU = List.of(CPU_SCALAR, CPU_FLOAT32, CPU_DEFAULT);
    /** The OpenCL backends every concern runs on: layouts V0, V1 and V2. */
    public static final List<Backends> OPENCL = List.of(OPENCL_V0, OPENCL_V1, OPENCL_V2);
    /**
     * The other OpenCL layouts, the device's default (V0v on PoCL) and V3: a compact set of checks
     * runs on them ({@code OpenClLayoutsTest}), to keep the cold-cache build time of PoCL's
     * programs (about 1.5 s each) within bounds.
     */
    public static final List<Backends> OPENCL_MORE = List.of(OPENCL_AUTO, OPENCL_V3);
    /** Several rows per work-group, held to the bits of one row per group ({@code OpenClLayoutsTest}). */
    public static final List<Backends> OPENCL_ROWS = List.of(OPENCL_V1_ROWS, OPENCL_V2_ROWS);

    private static final Map<Backends, Engine> ENGINES = new EnumMap<>(Backends.class);

    private final Supplier<org.softmaxcl.backend.Backend> factory;

    Backends(Supplier<org.softmaxcl.backend.Backend> factory) {
        this.factory = factory;
    }

    /** True for the OpenCL backends. */
    public boolean isOpenCl() {
        return OPENCL.contains(this) || OPENCL_MORE.contains(this) || OPENCL_ROWS.contains(this);
    }

    /** A new backend instance (the caller closes it). */
    public org.softmaxcl.backend.Backend newBackend() {
        return factory.get();
    }

    /** The shared engine of this backend (made on first use, open for the rest of the JVM). */
    public Engine engine() {
        synchronized (ENGINES) {
            Engine e = ENGINES.get(this);
            if (e == null) {
                e = Engine.over(factory.get());
                ENGINES.put(this, e);
            }
            return e;
        }
    }
}
