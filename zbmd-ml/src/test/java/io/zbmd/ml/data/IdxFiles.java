package io.zbmd.ml.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Builds IDX and gzip bytes by hand for the tests, independently of the reader. */
final class IdxFiles {
    private IdxFiles() {}

    /** @return an IDX header with any type byte and dimension sizes (even invalid ones) */
    static byte[] header(int typeCode, int... dimensions) {
        ByteBuffer header = ByteBuffer.allocate(4 + 4 * dimensions.length); // big-endian
        header.put((byte) 0).put((byte) 0).put((byte) typeCode).put((byte) dimensions.length);
        for (int size : dimensions) {
            header.putInt(size);
        }
        return header.array();
    }

    /** @return header then data */
    static byte[] idx(IdxType type, int[] dimensions, byte[] data) {
        return concat(header(type.code(), dimensions), data);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.writeBytes(part);
        }
        return joined.toByteArray();
    }

    /** @return a standard single-member gzip of {@code raw} (the JDK's writer) */
    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** @return the JDK's (lenient) decompression of {@code compressed} */
    static byte[] gunzip(byte[] compressed) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    static Path write(Path directory, String name, byte[] content) {
        try {
            return Files.write(directory.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
