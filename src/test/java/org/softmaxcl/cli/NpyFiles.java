package org.softmaxcl.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes test inputs: int32/int64 vectors (Npy itself writes only float32) and reads outputs. */
final class NpyFiles {
    private NpyFiles() {
    }

    static Path int64(Path file, int... values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putLong(v);
        }
        Files.write(file, concat(Npy.header("<i8", new int[] {values.length}), b.array()));
        return file;
    }

    static Path int32(Path file, int... values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        Files.write(file, concat(Npy.header("<i4", new int[] {values.length}), b.array()));
        return file;
    }

    static Path float32(Path file, float[] data, int... shape) throws IOException {
        Npy.writeFloat32(file, data, shape);
        return file;
    }

    static float[] floats(Path file) throws IOException {
        return Npy.read(file).floats();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
