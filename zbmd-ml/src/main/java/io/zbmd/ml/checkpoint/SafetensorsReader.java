package io.zbmd.ml.checkpoint;

import io.zbmd.ml.checkpoint.SafetensorsHeader.Entry;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.SequencedMap;

/**
 * Reads safetensors files (the format of Hugging Face and PyTorch weights; see
 * {@link SafetensorsHeader} for the layout), strictly: a file is accepted only if it is exactly
 * what its header says, and every deviation is a {@link CheckpointFormatException} naming the
 * file, the byte offset and what was expected.
 *
 * <p>A lying header cannot exhaust memory: the header length is checked against
 * {@link #headerBytesMax()} and the file's size before the header is read, and every tensor's
 * range against the others and the file's size before any tensor memory is allocated, so a
 * read allocates at most about the file's own size (the header, then one block for all
 * tensors, which the tensors are slices of).
 *
 * <p>Immutable, so thread-safe: one reader may read many files concurrently.
 */
public final class SafetensorsReader {
    /**
     * Default for {@link #headerBytesMax()}: 100,000,000 bytes, the Hugging Face library's own
     * limit, so every file it accepts is accepted here (a large model's header is a few MB).
     */
    public static final long HEADER_BYTES_MAX_DEFAULT = 100_000_000L;
    /** The most {@link #headerBytesMax()} may be: the largest byte array JVMs allocate. */
    public static final long HEADER_BYTES_MAX_CEILING = Integer.MAX_VALUE - 8;
    /** FileChannel reads into ByteBuffers of at most 2 GiB; the buffer is read in slices. */
    private static final long READ_SLICE_BYTES = 1L << 30;

    private static final SafetensorsReader DEFAULTS = new SafetensorsReader(HEADER_BYTES_MAX_DEFAULT);

    private final long headerBytesMax;

    private SafetensorsReader(long headerBytesMax) {
        if (headerBytesMax < 2 || headerBytesMax > HEADER_BYTES_MAX_CEILING) {
            throw new IllegalArgumentException("headerBytesMax must be 2 to " + HEADER_BYTES_MAX_CEILING + ", was "
                    + headerBytesMax);
        }
        this.headerBytesMax = headerBytesMax;
    }

    /** @return a reader with {@link #HEADER_BYTES_MAX_DEFAULT} */
    public static SafetensorsReader withDefaults() {
        return DEFAULTS;
    }

    /**
     * @param headerBytesMax the longest JSON header accepted, 2 ({@code {}}) to
     *     {@link #HEADER_BYTES_MAX_CEILING}
     * @return a reader with that limit
     * @throws IllegalArgumentException if {@code headerBytesMax} is out of range
     */
    public SafetensorsReader withHeaderBytesMax(long headerBytesMax) {
        return new SafetensorsReader(headerBytesMax);
    }

    /** @return the longest JSON header accepted, in bytes */
    public long headerBytesMax() {
        return headerBytesMax;
    }

    /** A whole file: its header and its tensors, by name in buffer order. */
    public record Contents(Path file, SafetensorsHeader header, SequencedMap<String, TensorData> tensors) {
        /** Makes the tensor map unmodifiable. */
        public Contents {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(header, "header");
            tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors));
        }
    }

    /**
     * Reads and validates only the header (cheap: the tensor data is not read, but its ranges
     * are checked against the file's size).
     *
     * @param file the file
     * @return its header
     * @throws CheckpointFormatException if the header is malformed, or its tensors do not fill
     *     the file exactly
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if it cannot be read
     */
    public SafetensorsHeader readHeader(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(channel, file, channel.size());
        }
    }

    /**
     * Reads a whole file. The tensors' bytes are slices of one block allocated in
     * {@code arena}, 8-byte aligned like the file's data; they live until the arena is closed.
     *
     * @param file the file
     * @param arena where to allocate the tensor data
     * @return header and tensors
     * @throws CheckpointFormatException if the file is not exactly a valid safetensors file
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if it cannot be read
     */
    public Contents read(Path file, Arena arena) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(arena, "arena");
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // Opening a FIFO for reading would wait for a writer, for ever.
            throw new CheckpointFormatException(file, 0, "is not a regular file (a directory, a FIFO or a device);"
                    + " a checkpoint is a file", null);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileBytes = channel.size();
            SafetensorsHeader header = readHeader(channel, file, fileBytes);
            // Every range is inside the file now (checked by the header): this allocation is at
            // most the file's size.
            MemorySegment buffer = arena.allocate(header.bufferBytes(), Long.BYTES);
            readFully(channel, file, header.bufferStartBytes(), buffer);
            if (channel.size() != fileBytes) {
                throw new CheckpointFormatException(file, Math.min(fileBytes, channel.size()), "the file changed size "
                        + "from " + fileBytes + " to " + channel.size() + " bytes while it was read; expected a file "
                        + "that nobody writes to", null);
            }
            SequencedMap<String, TensorData> tensors = new LinkedHashMap<>();
            for (Entry entry : header.entries()) {
                MemorySegment bytes = buffer.asSlice(entry.beginBytes(), entry.endBytes() - entry.beginBytes());
                tensors.put(entry.name(), TensorData.of(entry.spec(), bytes));
            }
            return new Contents(file, header, tensors);
        }
    }

    private SafetensorsHeader readHeader(FileChannel channel, Path file, long fileBytes) throws IOException {
        if (fileBytes < SafetensorsHeader.LENGTH_PREFIX_BYTES) {
            throw new CheckpointFormatException(file, fileBytes, "truncated: the file has " + fileBytes + " bytes; "
                    + "expected at least 8, the little-endian length of the JSON header", null);
        }
        ByteBuffer prefix = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, file, 0, prefix);
        long headerBytes = prefix.getLong(0); // an unsigned u64 on disk: negative here means 2^63 or more
        long fitsInFile = fileBytes - SafetensorsHeader.LENGTH_PREFIX_BYTES;
        if (headerBytes < 0 || headerBytes > headerBytesMax) {
            throw new CheckpointFormatException(file, 0, "the header length is " + Long.toUnsignedString(headerBytes)
                    + " bytes; expected at most headerBytesMax = " + headerBytesMax + " (and at most the "
                    + fitsInFile + " bytes after the length in this file)", null);
        }
        if (headerBytes > fitsInFile) {
            throw new CheckpointFormatException(file, 0, "truncated (or a lying header length): the header length is "
                    + headerBytes + " bytes, but only "
                    + fitsInFile + " bytes follow the length (the file has " + fileBytes + "); expected a header that "
                    + "fits in the file", null);
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerBytes); // within headerBytesMax and the file
        readFully(channel, file, SafetensorsHeader.LENGTH_PREFIX_BYTES, json);
        return HeaderParser.parse(file, json.array(), fileBytes);
    }

    private static void readFully(FileChannel channel, Path file, long position, MemorySegment into)
            throws IOException {
        for (long done = 0; done < into.byteSize(); done += READ_SLICE_BYTES) {
            long slice = Math.min(READ_SLICE_BYTES, into.byteSize() - done);
            readFully(channel, file, position + done, into.asSlice(done, slice).asByteBuffer());
        }
    }

    private static void readFully(FileChannel channel, Path file, long position, ByteBuffer into) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int got = channel.read(into, at);
            if (got < 0) {
                // The size was checked before reading: the file shrank meanwhile.
                throw new CheckpointFormatException(file, at, "the file ended at byte " + at + " while it was read; "
                        + "expected " + into.remaining() + " more bytes (did something truncate it?)", null);
            }
            at += got;
        }
    }
}
