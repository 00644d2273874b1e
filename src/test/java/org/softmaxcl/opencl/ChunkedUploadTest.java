package org.softmaxcl.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jocl.CL.CL_OUT_OF_RESOURCES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.Engine;
import org.softmaxcl.FloatMatrix;
import org.softmaxcl.Reduction;
import org.softmaxcl.Targets;
import org.softmaxcl.XentOptions;
import org.softmaxcl.XentResult;
import org.softmaxcl.testing.Compare;
import org.softmaxcl.testing.Data;

/**
 * Pipelined uploads ({@link ChunkedUpload}): logits uploaded in chunks of rows on the transfer
 * queue while the kernels of earlier chunks run give the bits of the one-piece upload, for every
 * row layout, Java arrays (through the pinned staging areas), direct buffers (straight from the
 * caller's memory), strided views and the gradient in place; a failure part-way through leaves the
 * caller's buffers untouched and no OpenCL object behind; the chunk-size setting is parsed strictly.
 */
@Tag("opencl")
class ChunkedUploadTest {
    /** 0.25 MiB chunks: 1024 rows of K ≤ 64, so the shapes below make 3 to 5 chunks, the last one short. */
    private static final long CHUNK = 1 << 18;

    @AfterEach
    void clear() {
        FaultInjection.clear();
    }

    static Stream<Arguments> cases() {
        // v2:16:3: three rows per work-group (chunks of whole groups, a last group of fewer rows).
        Stream<Arguments> layouts = Stream.of("v0:64", "v0v:4:64", "v0v:8:4:5", "v1:32", "v2:16:3").flatMap(layout -> Stream.of(
                Arguments.of(layout, "array", 4500, 40, 40),
                Arguments.of(layout, "direct", 3100, 64, 64),
                Arguments.of(layout, "strided", 2500, 33, 37),
                Arguments.of(layout, "in place", 4097, 40, 40)));
        // Work-groups of 2048 rows: chunks grow to whole groups (3 chunks, not 5).
        return Stream.concat(layouts, Stream.of(Arguments.of("v0:2048", "array", 4500, 40, 40)));
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3}")
    @MethodSource("cases")
    void chunkedUploadsGiveTheBitsOfOnePiece(String layout, String storage, int n, int k, int ld) {
        Data d = new Data(n * 7L + k);
        float[] x = d.logits(n * ld / k + 1, k, 4);   // enough floats for the strided view
        int[] t = d.targets(n, k, 0.05, -100);
        XentOptions o = XentOptions.builder().labelSmoothing(0.1f).rowStats(true).rowTemperatures(d.uniforms(n, 0.5, 2))
                .build();
        Run piece = run(layout, 0, storage, x, n, k, ld, t, o);
        Run chunked = run(layout, CHUNK, storage, x, n, k, ld, t, o);
        assertThat(piece.chunks).isZero();
        assertThat(chunked.chunks).as("chunks").isGreaterThanOrEqualTo(3);
        assertThat(chunked.result.loss()).isEqualTo(piece.result.loss());
        Compare.assertSameBits("row losses", piece.result.rowLosses(), chunked.result.rowLosses());
        Compare.assertSameStats("row stats", piece.result.stats(), chunked.result.stats());
        Compare.assertSameBits("gradient", piece.grad, chunked.grad);
    }

    /**
     * Five rows per work-item (groups of 20 rows, so chunks of 1040 rows, not 1024), without
     * statistics so that each row's max comes from the previous row's pass: no work-item reads a
     * row of the next chunk, which may not have arrived.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("storages")
    void severalRowsPerWorkItemThroughChunksGiveTheBitsOfOnePiece(String storage) {
        int n = 4500;
        int k = 40;
        Data d = new Data(41);
        float[] x = d.logits(n + 1, k, 4);
        int[] t = d.targets(n, k, 0.05, -100);
        XentOptions o = XentOptions.builder().reduction(Reduction.NONE).build();
        Run piece = run("v0v:8:4:5", 0, storage, x, n, k, k, t, o);
        Run chunked = run("v0v:8:4:5", CHUNK, storage, x, n, k, k, t, o);
        assertThat(chunked.chunks).as("chunks").isGreaterThanOrEqualTo(3);
        Compare.assertSameBits("row losses", piece.result.rowLosses(), chunked.result.rowLosses());
        Compare.assertSameBits("gradient", piece.grad, chunked.grad);
    }

    static Stream<String> storages() {
        return Stream.of("array", "direct", "in place");
    }

    @Test
    void softTargetsThroughChunksGiveTheBitsOfOnePiece() {
        int n = 3000;
        int k = 50;
        Data d = new Data(11);
        float[] x = d.logits(n, k, 3);
        Targets y = Targets.soft(FloatMatrix.of(d.softTargets(n, k), n, k));
        float[][] g = new float[2][n * k];
        XentResult[] r = new XentResult[2];
        long[] chunkBytes = {0, CHUNK};
        int chunks = 0;
        for (int c = 0; c < 2; c++) {
            try (OpenClBackend b = OpenClBackend.open(null, null, "test", chunkBytes[c]); Engine e = Engine.over(b)) {
                r[c] = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), y, XentOptions.DEFAULTS, FloatMatrix.of(g[c], n, k));
                chunks = b.lastChunks();
            }
        }
        assertThat(chunks).isGreaterThanOrEqualTo(2);
        assertThat(r[1].loss()).isEqualTo(r[0].loss());
        Compare.assertSameBits("gradient", g[0], g[1]);
    }

    @Test
    void aFailedChunkUploadWritesNothingAndLeaksNothing() {
        int n = 4500;
        int k = 40;
        Data d = new Data(5);
        float[] x = d.logits(n, k, 2);
        float[] xCopy = x.clone();
        int[] t = d.targets(n, k, 0, -100);
        float[] g = new float[n * k];
        Arrays.fill(g, 42f);
        long before = ClObjects.live();
        try (OpenClBackend b = OpenClBackend.open(null, null, "test", CHUNK); Engine e = Engine.over(b)) {
            // The third chunk's upload fails (the targets' upload comes first).
            FaultInjection.fail("clEnqueueWriteBuffer", CL_OUT_OF_RESOURCES, 3, false);
            assertThatThrownBy(() -> e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t),
                    XentOptions.DEFAULTS, FloatMatrix.of(g, n, k)))
                    .isInstanceOf(OpenClException.class)
                    .hasMessageContaining("clEnqueueWriteBuffer").hasMessageContaining("CL_OUT_OF_RESOURCES")
                    .satisfies(ex -> assertThat(ex.getStackTrace()).as("failed inside the pipelined upload")
                            .anyMatch(f -> f.getClassName().equals(ChunkedUpload.class.getName())));
            assertThat(g).containsOnly(42f);
            assertThat(x).isEqualTo(xCopy);
            // The engine still works, and pipelines again.
            XentResult ok = e.crossEntropyWithGradient(FloatMatrix.of(x, n, k), Targets.hard(t), XentOptions.DEFAULTS,
                    FloatMatrix.of(g, n, k));
            assertThat(b.lastChunks()).isGreaterThanOrEqualTo(3);
            assertThat(ok.loss()).isFinite();
            assertThat(g).doesNotContain(42f);
        }
        assertThat(ClObjects.live()).as(ClObjects.describe()).isEqualTo(before);
    }

    @Test
    void theChunkSettingIsParsedStrictly() {
        assertThat(OpenClBackend.chunkBytes(null)).isEqualTo(ClRuntime.CHUNKS_AUTO);
        assertThat(OpenClBackend.chunkBytes(" auto ")).isEqualTo(ClRuntime.CHUNKS_AUTO);
        assertThat(OpenClBackend.chunkBytes("off")).isZero();
        assertThat(OpenClBackend.chunkBytes("32")).isEqualTo(32L << 20);
        assertThat(OpenClBackend.chunkBytes("0.25")).isEqualTo(1L << 18);
        for (String bad : new String[] {"0", "-1", "NaN", "lots", "1e9"}) {
            assertThatThrownBy(() -> OpenClBackend.chunkBytes(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(OpenClBackend.CHUNK_PROPERTY).hasMessageContaining("'" + bad + "'");
        }
    }

    private record Run(XentResult result, float[] grad, int chunks) {
    }

    private static Run run(String layout, long chunkBytes, String storage, float[] x, int n, int k, int ld, int[] t,
                           XentOptions o) {
        try (OpenClBackend b = OpenClBackend.open(null, layout, "test", chunkBytes); Engine e = Engine.over(b)) {
            XentResult r;
            float[] g;
            switch (storage) {
                case "array", "strided" -> {
                    g = new float[n * k];
                    int origin = storage.equals("strided") ? 3 : 0;   // the view starts inside the array
                    r = e.crossEntropyWithGradient(FloatMatrix.of(x, origin, n, k, ld), Targets.hard(t), o, FloatMatrix.of(g, n, k));
                }
                case "direct" -> {
                    // A view from position 5 of its buffer: rows start at the view's origin, not the buffer's.
                    FloatBuffer xb = ByteBuffer.allocateDirect((n * k + 5) * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    xb.position(5);
                    xb.put(x, 0, n * k).position(5);
                    FloatBuffer gb = ByteBuffer.allocateDirect(n * k * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                    r = e.crossEntropyWithGradient(FloatMatrix.of(xb, n, k), Targets.hard(t), o, FloatMatrix.of(gb, n, k));
                    g = new float[n * k];
                    gb.get(0, g);
                }
                case "in place" -> {
                    g = Arrays.copyOf(x, n * k);
                    FloatMatrix m = FloatMatrix.of(g, n, k);
                    r = e.crossEntropyWithGradient(m, Targets.hard(t), o, m);
                }
                default -> throw new IllegalArgumentException(storage);
            }
            return new Run(r, g, b.lastChunks());
        }
    }
}
