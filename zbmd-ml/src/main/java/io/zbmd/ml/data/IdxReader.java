package io.zbmd.ml.data;

import io.zbmd.ml.data.DatasetFormatException.OffsetSpace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type byte (see
 * {@link IdxType}), a dimension count, that many big-endian int32 dimension sizes, then the
 * elements in row-major order, big-endian. A file may be raw or gzip-compressed; gzip is
 * recognised by its magic bytes 0x1F 0x8B, never by the file name.
 *
 * <p>Strict: a file is accepted only if it is exactly what its header says, and every
 * deviation is a {@link DatasetFormatException} naming the file, the byte offset and what was
 * expected. A lying header cannot exhaust memory: a raw file's declared size is checked
 * against the file's length before anything is allocated; a gzip file's declared size must
 * be within {@link #dataBytesMax()}, and its data is read into a buffer that grows only as
 * decompressed bytes actually arrive, so a tiny file declaring a gigabyte fails at its end
 * having allocated about what it contained.
 *
 * <p>Immutable, so thread-safe: one reader may read many files concurrently.
 */
public final class IdxReader {
    /** Default for {@link #dataBytesMax()}: 1 GiB, twenty times the Fashion-MNIST training images. */
    public static final long DATA_BYTES_MAX_DEFAULT = 1L << 30;
    /** The most data one file may hold: the largest byte array JVMs allocate (this reader keeps one). */
    public static final long DATA_BYTES_MAX_CEILING = Integer.MAX_VALUE - 8;
    /** The most dimensions a header may declare; real files have 1 to 4. */
    public static final int DIMENSIONS_MAX = 16;
    /** First buffer size when the data size cannot be checked in advance (gzip). */
    private static final int GROWING_BUFFER_START_BYTES = 64 * 1024;

    private static final IdxReader DEFAULTS = new IdxReader(DATA_BYTES_MAX_DEFAULT);

    private final long dataBytesMax;

    private IdxReader(long dataBytesMax) {
        if (dataBytesMax < 1 || dataBytesMax > DATA_BYTES_MAX_CEILING) {
            throw new IllegalArgumentException("dataBytesMax must be 1 to " + DATA_BYTES_MAX_CEILING + ", was "
                    + dataBytesMax);
        }
        this.dataBytesMax = dataBytesMax;
    }

    /** @return a reader with {@link #DATA_BYTES_MAX_DEFAULT} */
    public static IdxReader withDefaults() {
        return DEFAULTS;
    }

    /**
     * @param dataBytesMax the most data bytes (after the header) a file may declare, 1 to
     *     {@link #DATA_BYTES_MAX_CEILING}
     * @return a reader with that limit
     * @throws IllegalArgumentException if {@code dataBytesMax} is out of range
     */
    public IdxReader withDataBytesMax(long dataBytesMax) {
        return new IdxReader(dataBytesMax);
    }

    /** @return the most data bytes a file may declare */
    public long dataBytesMax() {
        return dataBytesMax;
    }

    /**
     * Reads a whole IDX file, raw or gzip.
     *
     * @param file the file
     * @return its type, dimensions and data
     * @throws DatasetFormatException if the file is not exactly a valid IDX file (or gzip of
     *     one), or declares more data than {@link #dataBytesMax()}
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if it cannot be read
     */
    public IdxArray read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileBytes = channel.size();
            boolean gzip = startsWithGzipMagic(channel);
            channel.position(0);
            InputStream stored = Channels.newInputStream(channel);
            if (!gzip) {
                return readIdx(stored, file, OffsetSpace.FILE, fileBytes);
            }
            try (StrictGzipInputStream decompressed = new StrictGzipInputStream(stored, file)) {
                return readIdx(decompressed, file, OffsetSpace.DECOMPRESSED, -1);
            }
        }
    }

    private static boolean startsWithGzipMagic(FileChannel channel) throws IOException {
        ByteBuffer magic = ByteBuffer.allocate(2);
        while (magic.hasRemaining() && channel.read(magic) >= 0) {
            // FileChannel may return short reads; -1 ends the loop.
        }
        return magic.position() == 2 && (magic.get(0) & 0xFF) == 0x1F && (magic.get(1) & 0xFF) == 0x8B;
    }

    /** The parsed header: what the file promises. */
    private record Header(IdxType type, int[] dimensions, long dataBytes) {
        long headerBytes() {
            return 4 + 4L * dimensions.length;
        }

        long dataEndBytes() {
            return headerBytes() + dataBytes;
        }

        String shape() {
            return IdxArray.shape(type, dimensions);
        }
    }

    /**
     * @param fileBytes the stream's total length when it is known (a raw file), else -1
     */
    private IdxArray readIdx(InputStream in, Path file, OffsetSpace space, long fileBytes) throws IOException {
        Header header = readHeader(in, file, space);
        if (fileBytes >= 0) {
            requireLength(header, file, fileBytes);
        }
        requireWithinLimits(header, file, space);
        byte[] data = fileBytes >= 0 ? readKnownSize(in, file, header) : readGrowing(in, file, space, header);
        if (in.read() >= 0) {
            // A raw file that grew since its length was checked, or decompressed data that goes on.
            throw new DatasetFormatException(file, header.dataEndBytes(), space, "trailing garbage after the "
                    + header.dataBytes() + " bytes of data the header promises (" + header.shape()
                    + "); expected the end of the data", null);
        }
        return new IdxArray(header.type(), header.dimensions(), data, file, space);
    }

    private Header readHeader(InputStream in, Path file, OffsetSpace space) throws IOException {
        byte[] magic = new byte[4];
        int got = in.readNBytes(magic, 0, 4);
        if (got < 4) {
            throw new DatasetFormatException(file, got, space, "truncated: the data ends inside the 4-byte IDX magic; "
                    + "expected 0x00 0x00, a type byte and a dimension count", null);
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DatasetFormatException(file, magic[0] != 0 ? 0 : 1, space, String.format("wrong magic: bytes "
                    + "0x%02X 0x%02X; expected 0x00 0x00, the start of an IDX file (or 0x1F 0x8B for gzip)",
                    magic[0] & 0xFF, magic[1] & 0xFF), null);
        }
        int typeCode = magic[2] & 0xFF;
        IdxType type = IdxType.ofCode(typeCode).orElseThrow(() -> new DatasetFormatException(file, 2, space,
                String.format("unknown IDX element type 0x%02X; expected one of %s", typeCode, IdxType.knownCodes()),
                null));
        int rank = magic[3] & 0xFF;
        if (rank == 0 || rank > DIMENSIONS_MAX) {
            throw new DatasetFormatException(file, 3, space, "dimension count " + rank + (rank == 0 ? "" : " is absurd")
                    + "; expected 1 to " + DIMENSIONS_MAX, null);
        }
        byte[] sizes = new byte[4 * rank];
        got = in.readNBytes(sizes, 0, sizes.length);
        if (got < sizes.length) {
            throw new DatasetFormatException(file, 4L + got, space, "truncated: the data ends inside the dimension "
                    + "sizes; expected " + rank + " big-endian int32 sizes at bytes 4 to " + (3 + sizes.length), null);
        }
        return parseDimensions(sizes, type, file, space);
    }

    private static Header parseDimensions(byte[] sizes, IdxType type, Path file, OffsetSpace space)
            throws DatasetFormatException {
        int rank = sizes.length / 4;
        int[] dimensions = new int[rank];
        long elements = 1;
        for (int axis = 0; axis < rank; axis++) {
            ByteBuffer big = ByteBuffer.wrap(sizes, 4 * axis, 4); // big-endian by default
            int size = big.getInt();
            long offset = 4 + 4L * axis;
            if (size < 0) {
                throw new DatasetFormatException(file, offset, space, "dimension " + axis + " is negative ("
                        + size + "); expected a size of 0 or more", null);
            }
            dimensions[axis] = size;
            try {
                elements = Math.multiplyExact(elements, size);
            } catch (ArithmeticException overflow) {
                throw new DatasetFormatException(file, offset, space, "the product of the dimension sizes "
                        + Arrays.toString(Arrays.copyOf(dimensions, axis + 1)) + " overflows 64 bits at dimension "
                        + axis + "; expected a product that fits in memory", overflow);
            }
        }
        try {
            return new Header(type, dimensions, Math.multiplyExact(elements, type.elementBytes()));
        } catch (ArithmeticException overflow) {
            throw new DatasetFormatException(file, 4, space, "the data size " + elements + " elements × "
                    + type.elementBytes() + " bytes overflows 64 bits; expected a size that fits in memory", overflow);
        }
    }

    /** A raw file's length is known: a lying header fails here, before anything is allocated. */
    private static void requireLength(Header header, Path file, long fileBytes) throws DatasetFormatException {
        long dataEnd = header.dataEndBytes();
        if (fileBytes < dataEnd) {
            throw new DatasetFormatException(file, fileBytes, OffsetSpace.FILE, "truncated: the file ends at byte "
                    + fileBytes + "; expected " + header.dataBytes() + " bytes of data (" + header.shape()
                    + ") ending at byte " + dataEnd + ", as the header promises", null);
        }
        if (fileBytes > dataEnd) {
            throw new DatasetFormatException(file, dataEnd, OffsetSpace.FILE, "trailing garbage: " + (fileBytes - dataEnd)
                    + " bytes after the data the header promises (" + header.shape() + "); expected the file to end "
                    + "at byte " + dataEnd, null);
        }
    }

    private void requireWithinLimits(Header header, Path file, OffsetSpace space) throws DatasetFormatException {
        if (header.dataBytes() > DATA_BYTES_MAX_CEILING) {
            throw new DatasetFormatException(file, 4, space, "the header declares " + header.shape() + " = "
                    + header.dataBytes() + " bytes of data; expected at most " + DATA_BYTES_MAX_CEILING
                    + " bytes, the most one Java array holds (this reader keeps a file's data in one array)", null);
        }
        if (header.dataBytes() > dataBytesMax) {
            throw new DatasetFormatException(file, 4, space, "the header declares " + header.shape() + " = "
                    + header.dataBytes() + " bytes of data; expected at most dataBytesMax = " + dataBytesMax
                    + " bytes (raise the limit with IdxReader.withDefaults().withDataBytesMax(bytes), up to "
                    + DATA_BYTES_MAX_CEILING + ")", null);
        }
    }

    private static byte[] readKnownSize(InputStream in, Path file, Header header) throws IOException {
        byte[] data = new byte[(int) header.dataBytes()];
        int got = in.readNBytes(data, 0, data.length);
        if (got < data.length) {
            // The length was checked: the file shrank while being read.
            throw truncatedData(file, OffsetSpace.FILE, header, got);
        }
        return data;
    }

    /**
     * Reads data of unverifiable size. The buffer doubles only when full, so at any time it
     * holds at most twice the bytes that actually arrived (three times during a copy): a lying
     * header costs what the file really contains, not what it claims.
     */
    private static byte[] readGrowing(InputStream in, Path file, OffsetSpace space, Header header) throws IOException {
        int dataBytes = (int) header.dataBytes(); // within DATA_BYTES_MAX_CEILING, checked before
        byte[] data = new byte[Math.min(dataBytes, GROWING_BUFFER_START_BYTES)];
        int filled = 0;
        while (filled < dataBytes) {
            if (filled == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(dataBytes, 2L * data.length));
            }
            int got = in.read(data, filled, data.length - filled);
            if (got < 0) {
                throw truncatedData(file, space, header, filled);
            }
            filled += got;
        }
        return data;
    }

    private static DatasetFormatException truncatedData(Path file, OffsetSpace space, Header header, long gotBytes) {
        return new DatasetFormatException(file, header.headerBytes() + gotBytes, space, "truncated: the data ends "
                + "after " + gotBytes + " of the " + header.dataBytes() + " bytes the header promises ("
                + header.shape() + "); expected the data to end at byte " + header.dataEndBytes(), null);
    }
}
