package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Targets;

/**
 * The packaged jar in a fresh JVM ({@code java -jar target/softmax-cl.jar}), with and without the
 * Vector API module flag. An integration test: failsafe runs it in {@code mvn verify}, after the
 * package phase has built the jar.
 */
class JarIT {
    static final Path JAR = Path.of("target", "softmax-cl.jar");

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run java(boolean vectorModule, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (vectorModule) {
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
        }
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("jar-out", ".txt");
        Path err = Files.createTempFile("jar-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finishes in 60 s").isTrue();
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static boolean vectorModuleHere() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    @Test
    void theJarRunsXentAndExitsWithTheContractsStatuses() throws Exception {
        assertThat(JAR).as("mvn verify packages the jar before integration tests").isRegularFile();
        XentFixture f = new XentFixture(dir);
        for (boolean module : new boolean[] {true, false}) {
            Run ok = java(module, "xent", "--logits", f.logitsFile.toString(), "--targets", f.hard64File.toString(),
                    "--backend", "cpu");
            assertThat(ok.code()).as(ok.toString()).isZero();
            // One log line names the CPU kernel path; without the module, it says how to get the faster one.
            assertThat(ok.err()).contains(module ? "softmax-cl CPU kernels: vector-"
                    : "softmax-cl CPU kernels: scalar-float32; for the Vector API path");
            var json = MiniJson.parseObject(ok.out().trim());
            double api;
            try (Engine e = Engine.cpu()) {
                api = e.crossEntropy(FloatMatrix.of(f.logits, XentFixture.N, XentFixture.K), Targets.hard(f.hard)).loss();
            }
            if (module == vectorModuleHere()) {
                // The same CPU kernel path as this JVM: the same bits.
                XentFixture.assertLossBits(json, api);
            } else {
                // The other kernel path (scalar vs Vector API): float32 rounding apart.
                assertThat((Double) json.get("loss")).isCloseTo(api, org.assertj.core.data.Percentage.withPercentage(1e-3));
            }
        }
        Run bad = java(false, "xent", "--logits", dir.resolve("absent.npy").toString(), "--targets", f.hard64File.toString());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.out()).isEmpty();
        assertThat(bad.err()).contains("--logits: no such file");
        Run usage = java(false, "bench", "--rows", "x");
        assertThat(usage.code()).isEqualTo(2);
    }
}
