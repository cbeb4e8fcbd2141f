package io.zbmd.ml.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A dataset file is not what its format promises: a wrong magic number, an unknown element
 * type, an absurd header, data shorter or longer than the header declares, corrupt gzip
 * framing or deflate data, or values out of range (a label outside the class count).
 *
 * <p>Checked, and an {@link IOException}, because a malformed file is an input problem that
 * callers handle where they handle unreadable files; catch this type to tell "the bytes are
 * wrong" apart from "the disk failed". The message always names the file, the byte offset and
 * what was expected there, so it can be shown to a user as is.
 *
 * <p>Offsets are counted in the file itself for raw files and for gzip framing errors, and in
 * the decompressed stream for IDX errors inside a gzip file ({@link #offsetSpace()} says
 * which, and the message spells it out).
 *
 * <p>Immutable, so thread-safe.
 */
public final class DatasetFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What a byte offset counts. */
    public enum OffsetSpace {
        /** Bytes of the file as stored (a raw IDX file, or the gzip framing of a gzip file). */
        FILE,
        /** Bytes of the decompressed stream of a gzip file. */
        DECOMPRESSED
    }

    private final transient Path file;
    private final long offsetBytes;
    private final OffsetSpace offsetSpace;
    private final String detail;

    /**
     * @param file the file that is malformed
     * @param offsetBytes where in it the problem was found, 0 or more
     * @param offsetSpace what {@code offsetBytes} counts
     * @param detail what was found and what was expected there
     * @param cause the low-level error behind it (a {@link java.util.zip.DataFormatException}),
     *     or null
     * @throws NullPointerException if {@code file}, {@code offsetSpace} or {@code detail} is null
     * @throws IllegalArgumentException if {@code offsetBytes} is negative
     */
    public DatasetFormatException(
            Path file, long offsetBytes, OffsetSpace offsetSpace, String detail, Throwable cause) {
        super(describe(file, offsetBytes, offsetSpace, detail), cause);
        this.file = file;
        this.offsetBytes = offsetBytes;
        this.offsetSpace = offsetSpace;
        this.detail = detail;
    }

    private static String describe(Path file, long offsetBytes, OffsetSpace offsetSpace, String detail) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(offsetSpace, "offsetSpace");
        Objects.requireNonNull(detail, "detail");
        if (offsetBytes < 0) {
            throw new IllegalArgumentException("offsetBytes must be 0 or more, was " + offsetBytes);
        }
        String where = offsetSpace == OffsetSpace.FILE ? "" : " of the decompressed data";
        return file + ": at byte offset " + offsetBytes + where + ": " + detail;
    }

    /** @return the malformed file */
    public Path file() {
        return file;
    }

    /** @return where in the file (or its decompressed stream) the problem was found */
    public long offsetBytes() {
        return offsetBytes;
    }

    /** @return what {@link #offsetBytes()} counts */
    public OffsetSpace offsetSpace() {
        return offsetSpace;
    }

    /** @return the problem and the expectation, without the file and offset */
    public String detail() {
        return detail;
    }
}
