package org.softmaxcl.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0): little- and
 * big-endian {@code float32}, {@code float64}, {@code int32} and {@code int64} arrays in C order.
 *
 * <p>Reading refuses, with {@link NpyFormatException} (an {@link IllegalArgumentException}) naming
 * the file and the problem: a bad magic string or version, a header that is not a NumPy dict,
 * Fortran order, an unsupported dtype, a shape whose element count does not fit an int, and a file
 * whose data is shorter or longer than the shape says. Writing goes to a temporary file in the
 * target folder that is renamed over the target only when complete, so a failed write leaves no
 * file and never a half-written one.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    /** Largest header accepted, in bytes (NumPy itself writes well under this). */
    static final int MAX_HEADER = 1 << 20;

    private Npy() {
    }

    /** Element types this class reads. */
    public enum DType {
        FLOAT32(4), FLOAT64(8), INT32(4), INT64(8);

        final int size;

        DType(int size) {
            this.size = size;
        }
    }

    /**
     * An array read from a file: its element type, shape, and values widened into one of the
     * arrays (the others are null). float32 and float64 files give {@code floats}/{@code doubles},
     * int32 and int64 give {@code ints}/{@code longs}.
     */
    public record Array(DType dtype, int[] shape, float[] floats, double[] doubles, int[] ints, long[] longs) {
        /** Number of elements. */
        public int size() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** Number of dimensions. */
        public int rank() {
            return shape.length;
        }

        @Override
        public String toString() {
            return "npy " + dtype + " " + Arrays.toString(shape);
        }
    }

    /** Thrown for a file that is not a readable {@code .npy} of a supported kind. */
    public static final class NpyFormatException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public NpyFormatException(String message) {
            super(message);
        }
    }

    /**
     * Reads a whole file.
     *
     * @throws NoSuchFileException when it does not exist
     * @throws NpyFormatException  when it is not a supported .npy
     * @throws IOException         on other I/O errors
     */
    public static Array read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), Files.size(file));
        }
    }

    /** Reads one array from a stream of {@code length} bytes in all ({@code -1}: unknown); {@code name} is used in messages. */
    static Array read(InputStream in, String name, long length) throws IOException {
        byte[] pre = in.readNBytes(8);
        if (pre.length < 8 || !Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
            throw new NpyFormatException(name + ": not a .npy file (bad magic string)");
        }
        int major = pre[6] & 0xff;
        int headerLen;
        int prefix;
        if (major == 1) {
            byte[] b = in.readNBytes(2);
            if (b.length < 2) {
                throw new NpyFormatException(name + ": truncated header");
            }
            headerLen = (b[0] & 0xff) | (b[1] & 0xff) << 8;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            byte[] b = in.readNBytes(4);
            if (b.length < 4) {
                throw new NpyFormatException(name + ": truncated header");
            }
            long l = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            if (l > MAX_HEADER) {
                throw new NpyFormatException(name + ": header of " + l + " bytes is too long");
            }
            headerLen = (int) l;
            prefix = 12;
        } else {
            throw new NpyFormatException(name + ": unsupported .npy format version " + major + "." + (pre[7] & 0xff));
        }
        byte[] hb = in.readNBytes(headerLen);
        if (hb.length < headerLen) {
            throw new NpyFormatException(name + ": truncated header");
        }
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).trim();
        if (!header.startsWith("{") || !header.endsWith("}")) {
            throw new NpyFormatException(name + ": header is not a dict: " + abbreviate(header));
        }
        String descr = group(DESCR, header, name, "descr");
        String fortran = group(FORTRAN, header, name, "fortran_order");
        String shapeText = group(SHAPE, header, name, "shape");
        if (fortran.equals("True")) {
            throw new NpyFormatException(name + ": Fortran-order arrays are not supported; save a C-order array "
                    + "(numpy.ascontiguousarray)");
        }
        ByteOrder order;
        char o = descr.isEmpty() ? '?' : descr.charAt(0);
        if (o == '<' || o == '|') {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (o == '>') {
            order = ByteOrder.BIG_ENDIAN;
        } else if (o == '=') {
            order = ByteOrder.nativeOrder();
        } else {
            throw new NpyFormatException(name + ": unsupported dtype '" + descr + "'");
        }
        DType dtype;
        switch (descr.substring(1)) {
            case "f4": dtype = DType.FLOAT32; break;
            case "f8": dtype = DType.FLOAT64; break;
            case "i4": dtype = DType.INT32; break;
            case "i8": dtype = DType.INT64; break;
            default:
                throw new NpyFormatException(name + ": unsupported dtype '" + descr
                        + "' (float32, float64, int32 and int64 are read)");
        }
        int[] shape = parseShape(shapeText, name);
        long count = 1;
        for (int d : shape) {
            count *= d;
            if (count > Integer.MAX_VALUE - 8) {
                throw new NpyFormatException(name + ": shape " + Arrays.toString(shape) + " has more elements than a Java array holds");
            }
        }
        long dataBytes = count * dtype.size;
        if (length >= 0) {
            long have = length - prefix - headerLen;
            if (have != dataBytes) {
                throw new NpyFormatException(name + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                        + dataBytes + " data bytes, the file has " + have + (have < dataBytes ? " (truncated)" : " (trailing bytes)"));
            }
        }
        byte[] data = in.readNBytes((int) dataBytes);
        if (data.length < dataBytes) {
            throw new NpyFormatException(name + ": truncated data (" + data.length + " of " + dataBytes + " bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(data).order(order);
        int n = (int) count;
        switch (dtype) {
            case FLOAT32: {
                float[] v = new float[n];
                bb.asFloatBuffer().get(v);
                return new Array(dtype, shape, v, null, null, null);
            }
            case FLOAT64: {
                double[] v = new double[n];
                bb.asDoubleBuffer().get(v);
                return new Array(dtype, shape, null, v, null, null);
            }
            case INT32: {
                int[] v = new int[n];
                bb.asIntBuffer().get(v);
                return new Array(dtype, shape, null, null, v, null);
            }
            default: {
                long[] v = new long[n];
                bb.asLongBuffer().get(v);
                return new Array(dtype, shape, null, null, null, v);
            }
        }
    }

    private static String group(Pattern p, String header, String name, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new NpyFormatException(name + ": header has no valid '" + key + "': " + abbreviate(header));
        }
        return m.group(1).trim();
    }

    private static int[] parseShape(String text, String name) {
        List<Integer> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            if (s.endsWith("L")) {
                s = s.substring(0, s.length() - 1);
            }
            try {
                long d = Long.parseLong(s);
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new NumberFormatException();
                }
                dims.add((int) d);
            } catch (NumberFormatException e) {
                throw new NpyFormatException(name + ": bad shape (" + text + ")");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    /**
     * Writes a float32 little-endian C-order array atomically: the data goes to a temporary file
     * beside {@code file}, which is then renamed over it.
     *
     * @param data  the values, {@code product(shape)} of them. Not modified
     * @param shape the dimensions (empty for a scalar)
     * @throws IllegalArgumentException when the shape does not match the data length
     */
    public static void writeFloat32(Path file, float[] data, int... shape) throws IOException {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
        }
        byte[] header = header("<f4", shape);
        ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        writeAtomically(file, header, body.array());
    }

    /** The version-1.0 header block (magic, version, length, dict padded to 64 bytes). */
    static byte[] header(String descr, int[] shape) {
        StringBuilder s = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) {
                s.append(shape.length == 1 ? "," : ", ");
            }
        }
        s.append("), }");
        int total = 10 + s.length() + 1;
        int pad = (64 - total % 64) % 64;
        s.append(" ".repeat(pad)).append('\n');
        byte[] dict = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) dict.length).put(dict);
        return b.array();
    }

    static void writeAtomically(Path file, byte[]... parts) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        // A fresh name beside the target, created with the default permissions (umask), unlike
        // Files.createTempFile's owner-only ones, so the renamed file looks like any other output.
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                + Long.toHexString(Thread.currentThread().getId()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                for (byte[] p : parts) {
                    out.write(p);
                }
                out.flush();
                ch.force(false);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
