package io.zbmd.ml.checkpoint;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.zbmd.ml.checkpoint.SafetensorsHeader.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes safetensors files byte for byte as the Hugging Face safetensors library does (see
 * {@link SafetensorsHeader} for the layout), so PyTorch ({@code safetensors.torch.load_file})
 * and every other safetensors reader load them:
 * <ul>
 *   <li>tensors are laid out by dtype alignment, largest first (the order of
 *       {@link SafetensorsDType}, reversed), then by name in Unicode code point order (which is
 *       the byte order of UTF-8, as that library sorts), so every tensor is aligned to its
 *       element size;
 *   <li>the header is compact JSON: {@code "__metadata__"} first (its keys sorted, so the
 *       same checkpoint always gives the same bytes), then the tensors in buffer order, each
 *       as {@code {"dtype":…,"shape":[…],"data_offsets":[begin,end]}};
 *   <li>the header is padded with spaces to a multiple of 8 bytes, so the data starts 8-byte
 *       aligned.
 * </ul>
 *
 * <p>Stateless, so thread-safe. Writing does not copy tensor data: the segments must stay
 * alive and unchanged until {@link #write} returns.
 */
public final class SafetensorsWriter {
    /**
     * Jackson set to escape as serde_json (the reference library's JSON) does: supplementary
     * characters as raw 4-byte UTF-8, not as two surrogate escapes, and the control characters
     * that have no short escape in lower-case hex.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();
    /** FileChannel writes ByteBuffers of at most 2 GiB; larger tensors are written in slices. */
    private static final long WRITE_SLICE_BYTES = 1L << 30;
    private static final int ALIGNMENT_BYTES = 8;

    private SafetensorsWriter() {}

    /**
     * Lays tensors out as {@link #write} will: their order and ranges in the data buffer, and
     * the header length.
     *
     * @param tensors the tensors by name
     * @param metadata the {@code __metadata__} strings (none: an empty map, and the header
     *     then has no {@code __metadata__} object)
     * @return the header that {@link #write} writes
     * @throws IllegalArgumentException if a name is {@code "__metadata__"} or holds an unpaired
     *     surrogate (not representable in UTF-8), or the header would be longer than
     *     {@link SafetensorsReader#HEADER_BYTES_MAX_DEFAULT}
     * @throws NullPointerException if an argument, name or value is null
     */
    public static SafetensorsHeader layout(Map<String, TensorData> tensors, Map<String, String> metadata) {
        return layoutAndEncode(tensors, metadata).header();
    }

    /**
     * Writes a whole safetensors file: length, padded JSON header, then every tensor's bytes.
     * Writes nothing else (no flush, no fsync: durability is the caller's, see
     * {@link CheckpointStore}).
     *
     * @param out where to write, from its current position
     * @param tensors the tensors by name
     * @param metadata the {@code __metadata__} strings (none: an empty map)
     * @return the header written (its {@link SafetensorsHeader#fileBytes()} bytes in all)
     * @throws IllegalArgumentException as {@link #layout}
     * @throws IOException if writing fails
     */
    public static SafetensorsHeader write(WritableByteChannel out, Map<String, TensorData> tensors,
            Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(out, "out");
        Encoded encoded = layoutAndEncode(tensors, metadata);
        ByteBuffer prefix = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, encoded.json().length);
        writeFully(out, prefix);
        writeFully(out, ByteBuffer.wrap(encoded.json()));
        for (Entry entry : encoded.header().entries()) {
            MemorySegment bytes = tensors.get(entry.name()).bytes();
            for (long done = 0; done < bytes.byteSize(); done += WRITE_SLICE_BYTES) {
                long slice = Math.min(WRITE_SLICE_BYTES, bytes.byteSize() - done);
                writeFully(out, bytes.asSlice(done, slice).asByteBuffer());
            }
        }
        return encoded.header();
    }

    private record Encoded(SafetensorsHeader header, byte[] json) {}

    private static Encoded layoutAndEncode(Map<String, TensorData> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        List<String> names = new ArrayList<>(tensors.keySet());
        for (String name : names) {
            Objects.requireNonNull(name, "a tensor name is null");
            Objects.requireNonNull(tensors.get(name), "tensor '" + name + "' is null");
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("no tensor may be named \"__metadata__\": the header reserves it");
            }
            requireWellFormed(name, "tensor name");
        }
        TreeMap<String, String> sortedMetadata = new TreeMap<>(SafetensorsWriter::compareCodePoints);
        metadata.forEach((key, value) -> {
            requireWellFormed(Objects.requireNonNull(key, "a metadata key is null"), "metadata key");
            requireWellFormed(Objects.requireNonNull(value, "metadata value of '" + key + "' is null"),
                    "metadata value of '" + key + "'");
            sortedMetadata.put(key, value);
        });
        names.sort(Comparator.comparing((String name) -> tensors.get(name).dtype()).reversed()
                .thenComparing(SafetensorsWriter::compareCodePoints));
        List<Entry> entries = new ArrayList<>(names.size());
        long offset = 0;
        for (String name : names) {
            TensorSpec spec = tensors.get(name).spec();
            entries.add(new Entry(name, spec, offset, Math.addExact(offset, spec.byteCount())));
            offset += spec.byteCount();
        }
        byte[] json = encodeJson(entries, sortedMetadata);
        if (json.length > SafetensorsReader.HEADER_BYTES_MAX_DEFAULT) {
            throw new IllegalArgumentException("the header would be " + json.length + " bytes; safetensors readers "
                    + "accept at most " + SafetensorsReader.HEADER_BYTES_MAX_DEFAULT + " (fewer tensors or shorter "
                    + "metadata)");
        }
        return new Encoded(new SafetensorsHeader(json.length, entries, sortedMetadata), json);
    }

    /** The header JSON, compact, padded with spaces to a multiple of 8 bytes. */
    private static byte[] encodeJson(List<Entry> entries, Map<String, String> metadata) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            json.writeStartObject();
            if (!metadata.isEmpty()) {
                json.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> entry : metadata.entrySet()) {
                    json.writeStringField(entry.getKey(), entry.getValue());
                }
                json.writeEndObject();
            }
            for (Entry entry : entries) {
                json.writeObjectFieldStart(entry.name());
                json.writeStringField("dtype", entry.spec().dtype().name());
                json.writeArrayFieldStart("shape");
                for (int size : entry.spec().shape()) {
                    json.writeNumber(size);
                }
                json.writeEndArray();
                json.writeArrayFieldStart("data_offsets");
                json.writeNumber(entry.beginBytes());
                json.writeNumber(entry.endBytes());
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory cannot fail", e);
        }
        int padding = (ALIGNMENT_BYTES - bytes.size() % ALIGNMENT_BYTES) % ALIGNMENT_BYTES;
        byte[] spaces = new byte[padding];
        Arrays.fill(spaces, (byte) ' ');
        bytes.writeBytes(spaces);
        return bytes.toByteArray();
    }

    /** Orders strings as their UTF-8 bytes compare (String.compareTo compares UTF-16 units). */
    static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }

    private static void requireWellFormed(String text, String what) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " '" + text + "' holds an unpaired surrogate at character "
                        + i + ", which UTF-8 cannot encode");
            }
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
