package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.softmaxcl.BackendReport;
import org.softmaxcl.Engine;
import org.softmaxcl.cpu.CpuBackend;
import org.softmaxcl.opencl.DeviceInfo;
import org.softmaxcl.opencl.OpenClProbe;
import org.softmaxcl.opencl.ProbeResult;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code devices}: every OpenCL platform and device ({@link OpenClProbe#probe()}), the CPU
 * backend, and the backend {@link Engine#auto()} picks with its reason. With no OpenCL it says why
 * and names the CPU backend.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List OpenCL platforms and devices, the CPU backend, and which backend 'auto' picks and why.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() {
        ProbeResult probe = OpenClProbe.probe();
        BackendReport cpu;
        try (CpuBackend b = new CpuBackend(Backends.threads(null), "always available")) {
            cpu = b.report();
        }
        BackendReport auto;
        try (Engine e = Engine.auto()) {
            auto = e.report();
        }
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(probe, cpu, auto, vector));
        } else {
            text(out, probe, cpu, auto, vector);
        }
        return ExitCodes.OK;
    }

    private static void text(PrintWriter out, ProbeResult probe, BackendReport cpu, BackendReport auto, boolean vector) {
        String why = probe.whyNoDevice();
        if (why != null) {
            out.println("OpenCL: none usable: " + why);
        } else {
            out.printf(Locale.ROOT, "OpenCL: %d platform%s, %d device%s%n", probe.platforms(),
                    probe.platforms() == 1 ? "" : "s", probe.devices().size(), probe.devices().size() == 1 ? "" : "s");
            if (probe.problem() != null) {
                out.println("  (problems: " + probe.problem() + ")");
            }
        }
        int platform = -1;
        for (DeviceInfo d : probe.devices()) {
            if (d.platformIndex() != platform) {
                platform = d.platformIndex();
                out.printf(Locale.ROOT, "Platform %d: %s (%s)%n", platform, d.platformName(), d.platformVersion());
            }
            out.printf(Locale.ROOT, "  Device %s: %s [%s]%n", d.id(), d.name(), d.type());
            row(out, "vendor", d.vendor());
            row(out, "version", d.version());
            row(out, "driver", d.driverVersion());
            row(out, "OpenCL C", d.openclC());
            row(out, "compute units", Integer.toString(d.computeUnits()));
            row(out, "global memory", bytes(d.globalMemBytes()));
            row(out, "max allocation", bytes(d.maxAllocBytes()));
            row(out, "max work-group", Long.toString(d.maxWorkGroup()));
            row(out, "fp64", d.fp64() ? "yes" : "no");
        }
        out.println("CPU backend: " + cpu.device() + " (always available)");
        out.println("Vector API: " + (vector ? "jdk.incubator.vector is readable"
                : "jdk.incubator.vector is not readable (run java with --add-modules jdk.incubator.vector)"));
        out.println("auto picks: " + name(auto) + " on " + auto.device());
        out.println("  because: " + auto.reason());
    }

    private static Json json(ProbeResult probe, BackendReport cpu, BackendReport auto, boolean vector) {
        List<Object> devices = new ArrayList<>();
        for (DeviceInfo d : probe.devices()) {
            devices.add(Json.object().put("id", d.id()).put("platform", d.platformName())
                    .put("platform_version", d.platformVersion()).put("name", d.name()).put("type", d.type())
                    .put("vendor", d.vendor()).put("version", d.version()).put("driver", d.driverVersion())
                    .put("opencl_c", d.openclC()).put("compute_units", d.computeUnits())
                    .put("global_mem_bytes", d.globalMemBytes()).put("max_alloc_bytes", d.maxAllocBytes())
                    .put("max_work_group", d.maxWorkGroup()).put("fp64", d.fp64()));
        }
        return Json.object()
                .put("opencl_loaded", probe.libraryLoaded())
                .put("platforms", probe.platforms())
                .put("devices", devices)
                .put("opencl_problem", probe.whyNoDevice() != null ? probe.whyNoDevice() : probe.problem())
                .put("cpu_device", cpu.device())
                .put("vector_api", vector)
                .put("auto_backend", name(auto))
                .put("auto_device", auto.device())
                .put("auto_reason", auto.reason());
    }

    private static String name(BackendReport r) {
        return r.kind().name().toLowerCase(Locale.ROOT);
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf(Locale.ROOT, "    %-15s %s%n", key, value);
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB (%d bytes)", b / (double) (1L << 30), b);
        }
        return String.format(Locale.ROOT, "%.1f MiB (%d bytes)", b / (double) (1L << 20), b);
    }
}
