package io.zbmd.ml.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A checkpoint (or any safetensors file) is not what its format promises: truncated, a lying
 * header length, malformed or non-UTF-8 header JSON, duplicate names, an unknown dtype, data
 * offsets outside the file, overlapping, leaving gaps or disagreeing with dtype and shape,
 * missing checkpoint metadata, or tensor bytes whose CRC32C differs from the one recorded.
 *
 * <p>Checked, and an {@link IOException}, because a damaged file is an input problem that
 * callers handle where they handle unreadable files (a checkpoint store skips to the previous
 * checkpoint); catch this type to tell "the bytes are wrong" apart from "the disk failed". The
 * message always names the file, the byte offset in it and what was expected there, so it can
 * be shown to a user as is.
 *
 * <p>Immutable, so thread-safe.
 */
public final class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offsetBytes;
    private final String detail;

    /**
     * @param file the damaged file
     * @param offsetBytes where in it the problem was found, 0 or more (0 for the file as a
     *     whole)
     * @param detail what was found and what was expected there
     * @param cause the low-level error behind it (a JSON parser's), or null
     * @throws NullPointerException if {@code file} or {@code detail} is null
     * @throws IllegalArgumentException if {@code offsetBytes} is negative
     */
    public CheckpointFormatException(Path file, long offsetBytes, String detail, Throwable cause) {
        super(describe(file, offsetBytes, detail), cause);
        this.file = file;
        this.offsetBytes = offsetBytes;
        this.detail = detail;
    }

    private static String describe(Path file, long offsetBytes, String detail) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(detail, "detail");
        if (offsetBytes < 0) {
            throw new IllegalArgumentException("offsetBytes must be 0 or more, was " + offsetBytes);
        }
        return file + ": at byte offset " + offsetBytes + ": " + detail;
    }

    /** @return the damaged file */
    public Path file() {
        return file;
    }

    /** @return where in the file the problem was found */
    public long offsetBytes() {
        return offsetBytes;
    }

    /** @return the problem and the expectation, without the file and offset */
    public String detail() {
        return detail;
    }
}
