package org.softmaxcl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The .npy reader and writer, against files NumPy wrote and files built byte by byte. */
class NpyTest {
    /** The 2x3 array of the NumPy fixtures: arange(6).reshape(2, 3) * 0.5 - 1.25. */
    private static final float[] EXPECTED = {-1.25f, -0.75f, -0.25f, 0.25f, 0.75f, 1.25f};

    @TempDir
    Path dir;

    private static Npy.Array fixture(String name) throws IOException {
        byte[] b;
        try (InputStream in = NpyTest.class.getResourceAsStream("/npy/" + name)) {
            assertThat(in).as(name).isNotNull();
            b = in.readAllBytes();
        }
        return Npy.read(new ByteArrayInputStream(b), name, b.length);
    }

    private static byte[] fixtureBytes(String name) throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream("/npy/" + name)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f4_le_v1.npy", "f4_le_v2.npy", "f4_le_v3.npy", "f4_be_v1.npy"})
    void readsNumPysFloat32InEveryVersionAndByteOrder(String name) throws IOException {
        Npy.Array a = fixture(name);
        assertThat(a.dtype()).isEqualTo(Npy.DType.FLOAT32);
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.floats()).containsExactly(EXPECTED);
    }

    @Test
    void readsIntegerAndDoubleArrays() throws IOException {
        Npy.Array l = fixture("i8_le.npy");
        assertThat(l.dtype()).isEqualTo(Npy.DType.INT64);
        assertThat(l.longs()).containsExactly(3, -100, 0, 7);
        Npy.Array i = fixture("i4_be.npy");
        assertThat(i.dtype()).isEqualTo(Npy.DType.INT32);
        assertThat(i.ints()).containsExactly(3, -100, 0, 7);
        Npy.Array d = fixture("f8_le.npy");
        assertThat(d.dtype()).isEqualTo(Npy.DType.FLOAT64);
        assertThat(d.doubles()).containsExactly(-1.25, -0.75, -0.25, 0.25, 0.75, 1.25);
    }

    @Test
    void handBuiltHeadersOfVersions2And3AndBigEndianAreRead() throws IOException {
        for (int version : new int[] {1, 2, 3}) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                String descr = (order == ByteOrder.LITTLE_ENDIAN ? "<" : ">") + "f4";
                ByteBuffer data = ByteBuffer.allocate(EXPECTED.length * 4).order(order);
                data.asFloatBuffer().put(EXPECTED);
                byte[] file = build(version, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (3, 2), }",
                        data.array());
                Npy.Array a = Npy.read(new ByteArrayInputStream(file), "v" + version + order, file.length);
                assertThat(a.shape()).containsExactly(3, 2);
                assertThat(a.floats()).as("version %d %s", version, order).containsExactly(EXPECTED);
            }
        }
    }

    @Test
    void roundTripKeepsEveryBit() throws IOException {
        float[] v = {0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.NaN, Float.NEGATIVE_INFINITY, 1e-30f,
                Float.intBitsToFloat(0x7fc00123), 3.1415927f, -2.5f, 1f / 3, 65504f};
        Path f = dir.resolve("r.npy");
        Npy.writeFloat32(f, v, 3, 4);
        Npy.Array a = Npy.read(f);
        assertThat(a.dtype()).isEqualTo(Npy.DType.FLOAT32);
        assertThat(a.shape()).containsExactly(3, 4);
        for (int i = 0; i < v.length; i++) {
            assertThat(Float.floatToRawIntBits(a.floats()[i])).as("element %d", i)
                    .isEqualTo(Float.floatToRawIntBits(v[i]));
        }
        // The header is what NumPy writes: version 1.0, the data 64-byte aligned.
        byte[] bytes = Files.readAllBytes(f);
        assertThat(bytes[6]).isEqualTo((byte) 1);
        assertThat((bytes.length - v.length * 4) % 64).isZero();
        String header = new String(bytes, 10, bytes.length - 10 - v.length * 4, StandardCharsets.ISO_8859_1);
        assertThat(header).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").endsWith("\n");
    }

    @Test
    void writesTheSameBytesAsNumPy() throws IOException {
        Path f = dir.resolve("same.npy");
        Npy.writeFloat32(f, EXPECTED, 2, 3);
        assertThat(Files.readAllBytes(f)).isEqualTo(fixtureBytes("f4_le_v1.npy"));
        Path v = dir.resolve("vec.npy");
        Npy.writeFloat32(v, new float[] {1, 2}, 2);
        assertThat(Npy.read(v).shape()).containsExactly(2);
        assertThat(new String(Files.readAllBytes(v), StandardCharsets.ISO_8859_1)).contains("'shape': (2,), }");
        Path s = dir.resolve("scalar.npy");
        Npy.writeFloat32(s, new float[] {7}, new int[0]);
        assertThat(Npy.read(s).shape()).isEmpty();
        assertThat(Npy.read(s).floats()).containsExactly(7f);
    }

    @Test
    void fortranOrderIsRefusedWithAHint() {
        assertThatThrownBy(() -> fixture("f4_fortran.npy")).isInstanceOf(Npy.NpyFormatException.class)
                .hasMessageContaining("f4_fortran.npy").hasMessageContaining("Fortran")
                .hasMessageContaining("ascontiguousarray");
    }

    @Test
    void unsupportedDtypeIsRefused() {
        assertThatThrownBy(() -> fixture("u1.npy")).isInstanceOf(Npy.NpyFormatException.class)
                .hasMessageContaining("u1.npy").hasMessageContaining("unsupported dtype '|u1'");
        byte[] f = build(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(f), "c8", f.length))
                .isInstanceOf(Npy.NpyFormatException.class).hasMessageContaining("'<c8'");
    }

    @Test
    void truncatedFilesAreRefusedAtEveryStage() throws IOException {
        byte[] whole = fixtureBytes("f4_le_v1.npy");
        for (int len : new int[] {0, 5, 8, 9, 40, whole.length - 24, whole.length - 1}) {
            byte[] cut = Arrays.copyOf(whole, len);
            Path f = dir.resolve("cut" + len + ".npy");
            Files.write(f, cut);
            assertThatThrownBy(() -> Npy.read(f)).as("length %d", len).isInstanceOf(Npy.NpyFormatException.class)
                    .hasMessageContaining(f.toString());
            // Streams of unknown length reach the end of the data instead.
            assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(cut), "s", -1)).as("stream %d", len)
                    .isInstanceOf(Npy.NpyFormatException.class);
        }
        Path f = dir.resolve("cutdata.npy");
        Files.write(f, Arrays.copyOf(whole, whole.length - 1));
        assertThatThrownBy(() -> Npy.read(f)).hasMessageContaining("truncated");
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        byte[] whole = fixtureBytes("f4_le_v1.npy");
        Path f = dir.resolve("long.npy");
        Files.write(f, Arrays.copyOf(whole, whole.length + 4));
        assertThatThrownBy(() -> Npy.read(f)).isInstanceOf(Npy.NpyFormatException.class)
                .hasMessageContaining("trailing bytes");
    }

    @Test
    void badMagicVersionAndHeaderAreRefused() {
        byte[] notNpy = "PK\u0003\u0004 this is a zip".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(notNpy), "z", notNpy.length))
                .hasMessageContaining("bad magic");
        byte[] v4 = build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        v4[6] = 4;
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(v4), "v4", v4.length))
                .hasMessageContaining("version 4.0");
        byte[] noDict = build(1, "descr <f4", new byte[4]);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(noDict), "d", noDict.length))
                .hasMessageContaining("not a dict");
        byte[] noShape = build(1, "{'descr': '<f4', 'fortran_order': False}", new byte[4]);
        assertThatThrownBy(() -> Npy.read(new ByteArrayInputStream(noShape), "s", noShape.length))
                .hasMessageContaining("'shape'");
    }

    @Test
    void missingFileIsNoSuchFile() {
        assertThatThrownBy(() -> Npy.read(dir.resolve("absent.npy"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void writeRefusesAShapeThatDoesNotMatchAndLeavesNothing() throws IOException {
        Path f = dir.resolve("bad.npy");
        assertThatThrownBy(() -> Npy.writeFloat32(f, new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]");
        assertThat(f).doesNotExist();
        assertThat(listing()).isEmpty();
    }

    @Test
    void aFailingWriteLeavesTheOldFileIntactAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("keep.npy");
        Npy.writeFloat32(f, EXPECTED, 2, 3);
        byte[] before = Files.readAllBytes(f);
        // The second part is null: the write fails after the first bytes reached the temporary file.
        assertThatThrownBy(() -> Npy.writeAtomically(f, new byte[] {1, 2, 3}, null))
                .isInstanceOf(NullPointerException.class);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        assertThat(listing()).containsExactly("keep.npy");
        // A shape mismatch fails before writing anything.
        assertThatThrownBy(() -> Npy.writeFloat32(f, new float[4], 2, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        // A successful write replaces the file whole and leaves no temporary file either.
        Npy.writeFloat32(f, new float[] {9}, 1);
        assertThat(Npy.read(f).floats()).containsExactly(9f);
        assertThat(listing()).containsExactly("keep.npy");
    }

    private String[] listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    /** A .npy of the given version with {@code dict} padded as NumPy pads it. */
    static byte[] build(int version, String dict, byte[] data) {
        int prefix = version == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        int pad = (64 - (prefix + h.length() + 1) % 64) % 64;
        h.append(" ".repeat(pad)).append('\n');
        byte[] hb = h.toString().getBytes(version == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(prefix + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            b.putShort((short) hb.length);
        } else {
            b.putInt(hb.length);
        }
        b.put(hb).put(data);
        return b.array();
    }
}
