package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import org.softmaxcl.opencl.Tuner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tune}: times every candidate kernel layout of the OpenCL device over a K sweep and writes
 * the device's cut-overs into the user's tuning file, which later engines read.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Time every kernel layout on the OpenCL device over a K sweep (kernel-only time of the fused "
                + "cross-entropy) and store the fastest layout per K in ~/.cache/softmax-cl/tuning.properties.",
                "Each line also compares the layout's gradient with the first layout's of that K, or with the same "
                + "layout at one row per work-group, which must give the same bits."})
final class TuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", paramLabel = "SEL", description = "device: platform:device index or part of its name")
    String device;

    @Option(names = "--classes", paramLabel = "K", split = ",",
            description = "K values to sweep (default: 2,8,32,128,512,2048,8192,32768,131072)")
    int[] ks = Tuner.DEFAULT_KS;

    @Option(names = "--elements", paramLabel = "E", defaultValue = "4194304", description = "about N·K per shape (default: ${DEFAULT-VALUE})")
    long elements;

    @Option(names = "--reps", paramLabel = "R", defaultValue = "5", description = "timed launches per layout and K (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--layouts", paramLabel = "L", split = ",",
            description = "layouts to time instead of the device's candidates, e.g. v1:256,v2:128 (v0[:wgs], v0v[:vecw[:wgs[:rpw]]], "
                    + "v1[:wgs[:rpg]], v2[:wgs[:rpg]], v3[:wgs[:split]])")
    java.util.List<String> layouts;

    @Option(names = "--dry-run", description = "measure and print, but do not store the result")
    boolean dryRun;

    @Override
    public Integer call() {
        for (int i = 0; i < ks.length; i++) {
            if (ks[i] < 1 || (i > 0 && ks[i] <= ks[i - 1])) {
                throw new UsageException("--classes: K values must be >= 1 and increasing, got " + java.util.Arrays.toString(ks));
            }
        }
        if (elements < 1 || reps < 1) {
            throw new UsageException("--elements and --reps must be >= 1, got " + elements + " and " + reps);
        }
        if (layouts != null) {
            for (String l : layouts) {
                try {
                    org.softmaxcl.opencl.Tuner.checkLayout(l);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--layouts: " + e.getMessage());
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Tuner.Result r = Tuner.tune(device, layouts, ks, elements, reps, !dryRun, line -> {
            err.println(line);
            err.flush();
        });
        out.println("device  " + r.device().describe());
        out.println("entry   " + r.entry());
        out.println(r.file() != null ? "stored  " + r.file() : "stored  nothing (--dry-run)");
        return ExitCodes.OK;
    }
}
