package io.zbmd.ml.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;

/**
 * The parsed header of a safetensors file: where each tensor's bytes are and what they are,
 * and the {@code __metadata__} strings.
 *
 * <p>A safetensors file is, in this order: an unsigned 64-bit little-endian header length N;
 * N bytes of UTF-8 JSON (padded with spaces, by writers since 2023, to a multiple of 8 so
 * that the data is 8-byte aligned); then the data buffer. The JSON is one object: an
 * optional {@code "__metadata__"} object of string values, and per tensor
 * {@code "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}, offsets in
 * bytes from the start of the buffer. The ranges, sorted, tile the buffer exactly: the first
 * begins at 0, each begins where the previous one ends, the last ends at the end of the file,
 * and each holds exactly {@code elements × dtype size} bytes.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param headerBytes N, the length of the JSON including padding
 * @param entries the tensors in buffer order (by {@code data_offsets}), unmodifiable
 * @param metadata the {@code __metadata__} strings in file order, unmodifiable; empty when the
 *     header has none
 */
public record SafetensorsHeader(long headerBytes, List<Entry> entries, SequencedMap<String, String> metadata) {
    /** The size of the length prefix before the JSON. */
    public static final int LENGTH_PREFIX_BYTES = 8;
    /** The reserved key of the metadata object; no tensor may have this name. */
    public static final String METADATA_KEY = "__metadata__";

    /**
     * One tensor of the header.
     *
     * @param name its name (PyTorch style, {@code "0.weight"})
     * @param spec dtype and shape
     * @param beginBytes where its bytes begin, from the start of the data buffer
     * @param endBytes where they end (exclusive)
     */
    public record Entry(String name, TensorSpec spec, long beginBytes, long endBytes) {
        /**
         * @throws IllegalArgumentException if the range is negative or does not hold
         *     {@code spec.byteCount()} bytes
         */
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(spec, "spec");
            if (beginBytes < 0 || endBytes - beginBytes != spec.byteCount()) {
                throw new IllegalArgumentException("tensor '" + name + "' (" + spec + ") needs " + spec.byteCount()
                        + " bytes, its range is [" + beginBytes + ", " + endBytes + ")");
            }
        }
    }

    /**
     * @throws IllegalArgumentException if the entries do not tile {@code [0, end)} in order
     */
    public SafetensorsHeader {
        if (headerBytes < 0) {
            throw new IllegalArgumentException("headerBytes must be 0 or more, was " + headerBytes);
        }
        entries = List.copyOf(entries);
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(metadata));
        long expectedBegin = 0;
        for (Entry entry : entries) {
            if (entry.beginBytes() != expectedBegin) {
                throw new IllegalArgumentException("tensor '" + entry.name() + "' begins at " + entry.beginBytes()
                        + ", expected " + expectedBegin + " (entries must tile the buffer in order)");
            }
            expectedBegin = entry.endBytes();
        }
    }

    /** @return the length of the data buffer: where the last tensor ends, 0 if none */
    public long bufferBytes() {
        return entries.isEmpty() ? 0 : entries.getLast().endBytes();
    }

    /** @return where the data buffer starts in the file: 8 + N */
    public long bufferStartBytes() {
        return LENGTH_PREFIX_BYTES + headerBytes;
    }

    /** @return the length of the whole file */
    public long fileBytes() {
        return bufferStartBytes() + bufferBytes();
    }

    /** @return the specs by name, in buffer order */
    public Map<String, TensorSpec> specs() {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        entries.forEach(entry -> specs.put(entry.name(), entry.spec()));
        return Collections.unmodifiableMap(specs);
    }
}
