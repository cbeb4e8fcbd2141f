package io.zbmd.ml.data;

import io.zbmd.ml.data.DatasetFormatException.OffsetSpace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompresses a gzip file (RFC 1952) strictly: every member's header, CRC-32 and length are
 * checked, concatenated members are read in turn, and anything after the last member that is
 * not another member is an error. {@link java.util.zip.GZIPInputStream} is lenient on that
 * last point (it silently ignores bytes after a member that do not start a new one) and its
 * errors carry no offset; this stream reports every problem as a {@link DatasetFormatException}
 * naming the file and the compressed offset.
 *
 * <p>It cannot hang on corrupt input: every step either consumes input, produces output, or
 * fails (see {@link #inflateSome}). Not thread-safe: one reader at a time.
 */
final class StrictGzipInputStream extends InputStream {
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int FLAG_HEADER_CRC = 0x02;
    private static final int FLAG_EXTRA = 0x04;
    private static final int FLAG_NAME = 0x08;
    private static final int FLAG_COMMENT = 0x10;
    private static final int FLAGS_RESERVED = 0xE0;
    private static final int METHOD_DEFLATE = 8;

    private enum State { MEMBER_HEADER, DEFLATE, END }

    private final InputStream compressed;
    private final Path file;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    /** Unconsumed input is buffer[bufferStart, bufferEnd); buffer[0] is file byte bufferFileOffset. */
    private int bufferStart;
    private int bufferEnd;
    private long bufferFileOffset;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 dataCrc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    private long memberOutputBytes;
    private State state = State.MEMBER_HEADER;

    /**
     * @param compressed the file's bytes from its start; closed with this stream
     * @param file the file's path, for error messages
     */
    StrictGzipInputStream(InputStream compressed, Path file) {
        this.compressed = Objects.requireNonNull(compressed, "compressed");
        this.file = Objects.requireNonNull(file, "file");
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    /** Returns at least one byte, or -1 only once the last member's trailer has been verified. */
    @Override
    public int read(byte[] destination, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, destination.length);
        if (length == 0) {
            return 0;
        }
        while (true) {
            switch (state) {
                case END -> {
                    return -1;
                }
                case MEMBER_HEADER -> {
                    readMemberHeader();
                    state = State.DEFLATE;
                }
                case DEFLATE -> {
                    int produced = inflateSome(destination, offset, length);
                    if (produced > 0) {
                        return produced;
                    }
                    readMemberTrailer();
                    state = atEndOfFile() ? State.END : State.MEMBER_HEADER;
                }
            }
        }
    }

    /**
     * Inflates into the destination until at least one byte comes out or the member's deflate
     * stream ends (then returns 0). No hang: each pass of the loop consumes input, produces
     * output, finishes, asks for input that is then given or found missing, or fails.
     */
    private int inflateSome(byte[] destination, int offset, int length) throws IOException {
        while (!inflater.finished()) {
            if (inflater.needsInput()) {
                if (!fillBuffer()) {
                    throw error(currentFileOffset(), "truncated: the file ends inside compressed data; expected "
                            + "the rest of the deflate stream and an 8-byte gzip trailer", null);
                }
                inflater.setInput(buffer, bufferStart, bufferEnd - bufferStart);
            }
            int remainingBefore = inflater.getRemaining();
            int produced;
            try {
                produced = inflater.inflate(destination, offset, length);
            } catch (DataFormatException e) {
                throw error(currentFileOffset(), "corrupt deflate data (" + e.getMessage()
                        + "); expected a valid deflate stream", e);
            }
            bufferStart = bufferEnd - inflater.getRemaining();
            if (produced > 0) {
                dataCrc.update(destination, offset, produced);
                memberOutputBytes += produced;
                return produced;
            }
            if (inflater.needsDictionary()) {
                throw error(currentFileOffset(), "the deflate stream asks for a preset dictionary; expected none "
                        + "(gzip has no way to supply one)", null);
            }
            if (!inflater.finished() && !inflater.needsInput() && inflater.getRemaining() == remainingBefore) {
                throw error(currentFileOffset(), "the deflate stream makes no progress; expected valid "
                        + "deflate data", null);
            }
        }
        return 0;
    }

    private void readMemberHeader() throws IOException {
        long start = currentFileOffset();
        headerCrc.reset();
        int id1 = headerByte("the gzip magic");
        int id2 = headerByte("the gzip magic");
        if (id1 != 0x1F || id2 != 0x8B) {
            throw error(start, String.format("bytes 0x%02X 0x%02X where a gzip member must start; expected "
                    + "the gzip magic 0x1F 0x8B or the end of the file", id1, id2), null);
        }
        int method = headerByte("the gzip header");
        if (method != METHOD_DEFLATE) {
            throw error(start + 2, "gzip compression method " + method + "; expected 8 (deflate)", null);
        }
        int flags = headerByte("the gzip header");
        if ((flags & FLAGS_RESERVED) != 0) {
            throw error(start + 3, String.format("gzip flags 0x%02X set reserved bits; expected them clear",
                    flags), null);
        }
        skipHeaderBytes(6, "the gzip header"); // MTIME (4), XFL, OS: informative only
        if ((flags & FLAG_EXTRA) != 0) {
            int extraBytes = headerByte("the gzip extra field") | headerByte("the gzip extra field") << 8;
            skipHeaderBytes(extraBytes, "the gzip extra field");
        }
        if ((flags & FLAG_NAME) != 0) {
            skipZeroTerminated("the gzip file name");
        }
        if ((flags & FLAG_COMMENT) != 0) {
            skipZeroTerminated("the gzip comment");
        }
        if ((flags & FLAG_HEADER_CRC) != 0) {
            long crcOffset = currentFileOffset();
            int expected = (int) (headerCrc.getValue() & 0xFFFF);
            int stored = headerByte("the gzip header CRC") | headerByte("the gzip header CRC") << 8;
            if (stored != expected) {
                throw error(crcOffset, String.format("gzip header CRC 0x%04X; expected 0x%04X", stored, expected), null);
            }
        }
        inflater.reset();
        dataCrc.reset();
        memberOutputBytes = 0;
    }

    private void readMemberTrailer() throws IOException {
        long trailerOffset = currentFileOffset();
        long storedCrc = trailerWord();
        long storedSize = trailerWord();
        if (storedCrc != dataCrc.getValue()) {
            throw error(trailerOffset, String.format("gzip CRC-32 0x%08X in the trailer; expected 0x%08X, the "
                    + "CRC-32 of the decompressed member (the data is corrupt)", storedCrc, dataCrc.getValue()), null);
        }
        // RFC 1952: ISIZE is the member's decompressed size modulo 2^32.
        long expectedSize = memberOutputBytes & 0xFFFF_FFFFL;
        if (storedSize != expectedSize) {
            throw error(trailerOffset + 4, "gzip size " + storedSize + " in the trailer; expected " + expectedSize
                    + ", the decompressed member's size modulo 2^32", null);
        }
    }

    private long trailerWord() throws IOException {
        long word = 0;
        for (int i = 0; i < 4; i++) {
            word |= (long) nextByte("truncated: the file ends inside the 8-byte gzip trailer; expected CRC-32 and size")
                    << (8 * i);
        }
        return word;
    }

    private int headerByte(String field) throws IOException {
        int value = nextByte("truncated: the file ends inside " + field + "; expected a complete gzip member header");
        headerCrc.update(value);
        return value;
    }

    private void skipHeaderBytes(int count, String field) throws IOException {
        for (int i = 0; i < count; i++) {
            headerByte(field);
        }
    }

    private void skipZeroTerminated(String field) throws IOException {
        while (headerByte(field) != 0) {
            // Bounded by the file: nextByte fails at its end.
        }
    }

    /** @return the next unconsumed byte; fails with {@code truncatedDetail} at the end of the file */
    private int nextByte(String truncatedDetail) throws IOException {
        if (!fillBuffer()) {
            throw error(currentFileOffset(), truncatedDetail, null);
        }
        return buffer[bufferStart++] & 0xFF;
    }

    private boolean atEndOfFile() throws IOException {
        return !fillBuffer();
    }

    /** @return whether unconsumed input is available, reading more from the file if needed */
    private boolean fillBuffer() throws IOException {
        if (bufferStart < bufferEnd) {
            return true;
        }
        bufferFileOffset += bufferEnd;
        bufferStart = 0;
        bufferEnd = 0;
        int read = compressed.readNBytes(buffer, 0, buffer.length);
        bufferEnd = read;
        return read > 0;
    }

    private long currentFileOffset() {
        return bufferFileOffset + bufferStart;
    }

    private DatasetFormatException error(long fileOffset, String detail, Throwable cause) {
        return new DatasetFormatException(file, fileOffset, OffsetSpace.FILE, detail, cause);
    }

    /** Releases the inflater's native memory and closes the file. */
    @Override
    public void close() throws IOException {
        inflater.end();
        compressed.close();
    }
}
