package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No kernel uses a word that OpenCL C 2.0 and later reserve as an identifier: NVIDIA's compiler
 * refuses them even under {@code -cl-std=CL1.2}, where PoCL accepts them (a local named
 * {@code pipe} in the V0v kernels failed every V0v build on an H200, CL_BUILD_PROGRAM_FAILURE,
 * while every PoCL test passed).
 */
class KernelSourceWordsTest {
    /** Reserved from OpenCL C 2.0 on (types, qualifiers), not in 1.2. */
    private static final List<String> RESERVED = List.of("pipe", "generic", "atomic_int", "atomic_uint", "atomic_float",
            "atomic_flag", "memory_order", "memory_scope", "queue_t", "clk_event_t", "reserve_id_t", "ndrange_t");

    static Stream<String> kernelFiles() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("kernels-cl"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cl")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernelFiles")
    void usesNoIdentifierThatLaterOpenClCReserves(String file) {
        String source = KernelSource.load(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
        for (String word : RESERVED) {
            Matcher m = Pattern.compile("\\b" + word + "\\b").matcher(source);
            assertThat(m.find()).as("%s uses the reserved word '%s'", file, word).isFalse();
        }
    }
}
