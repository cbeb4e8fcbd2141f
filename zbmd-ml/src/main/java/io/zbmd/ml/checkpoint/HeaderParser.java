package io.zbmd.ml.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.zbmd.ml.checkpoint.SafetensorsHeader.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Parses and validates the JSON header of a safetensors file, strictly: every deviation is a
 * {@link CheckpointFormatException} with the offset in the file where it was found. Nothing
 * here allocates more than a small multiple of the header, whose length the reader has already
 * checked against its cap and the file's size.
 *
 * <p>Uses Jackson's streaming parser rather than a tree: it reports the byte offset of every
 * token (so errors can name where they are) and lets duplicate names and wrong value types be
 * caught with a precise message. Jackson gives byte offsets only with its byte-based parser,
 * which needs field-name canonicalisation on; interning is off, so a hostile header's millions
 * of distinct names do not go into the JVM's string table, and Jackson's own guard against
 * hash-flooding names throws a {@code StreamConstraintsException}, which becomes a format
 * error like any other JSON problem. Not thread-safe: one parser per header.
 */
final class HeaderParser {
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            // The header's length is already capped; these are a second line behind that: a valid
            // header nests 3 deep (root, entry, shape), and its numbers are u64s (20 digits).
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxNumberLength(40)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .build())
            .build();
    private static final int DECODE_CHUNK_CHARS = 8192;

    private final Path file;
    private final byte[] json;
    private final long fileBytes;
    private JsonParser parser;

    /** A tensor entry as written, before its range is checked against the others and the file. */
    private record Parsed(Entry entry, long jsonOffset) {}

    private HeaderParser(Path file, byte[] json, long fileBytes) {
        this.file = file;
        this.json = json;
        this.fileBytes = fileBytes;
    }

    /**
     * @param file the file, for messages
     * @param json the N header bytes after the length prefix
     * @param fileBytes the file's length, which the ranges must fill exactly
     * @return the header, its entries sorted by offset
     * @throws CheckpointFormatException if the header is not valid UTF-8 JSON of the safetensors
     *     shape, or its ranges do not tile the rest of the file
     */
    static SafetensorsHeader parse(Path file, byte[] json, long fileBytes) throws CheckpointFormatException {
        return new HeaderParser(file, json, fileBytes).parse();
    }

    private SafetensorsHeader parse() throws CheckpointFormatException {
        requireUtf8();
        if (json.length == 0 || json[0] != '{') {
            throw fail(0, json.length == 0 ? "the header is empty (length 0); expected a JSON object starting with '{'"
                    : String.format(Locale.ROOT, "the header starts with byte 0x%02X; expected '{', the start of a JSON object",
                            json[0] & 0xFF), null);
        }
        List<Parsed> parsed = new ArrayList<>();
        SequencedMap<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            parser = p;
            readRoot(parsed, metadata);
        } catch (CheckpointFormatException e) {
            throw e; // already precise; must not be taken for a parser failure below
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getByteOffset());
            // Jackson names its source "REDACTED" in nested locations; the file is named already.
            String problem = e.getOriginalMessage().replaceAll("\\[Source: [^;]*; line", "[line");
            throw fail(Math.min(at, json.length), "malformed JSON in the header: " + problem
                    + "; expected a JSON object of tensor entries", e);
        } catch (IOException e) {
            // A parser over a byte array does no I/O; anything else it throws is about the bytes.
            throw fail(0, "the header cannot be parsed: " + e.getMessage() + "; expected a JSON object", e);
        }
        return new SafetensorsHeader(json.length, tile(parsed), metadata);
    }

    /**
     * Finds the first byte that is not UTF-8, decoding in small chunks so memory stays bounded.
     * NUL bytes are rejected first: JSON text never holds one (not as whitespace, not unescaped in
     * a string), and without them Jackson's encoding detection, which would read "{\0}\0" as
     * UTF-16, cannot pick anything but UTF-8 for a header that starts with '{'.
     */
    private void requireUtf8() throws CheckpointFormatException {
        for (int i = 0; i < json.length; i++) {
            if (json[i] == 0) {
                throw fail(i, "a NUL byte (0x00) in the header; expected UTF-8 JSON text, which never holds one", null);
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer out = CharBuffer.allocate(DECODE_CHUNK_CHARS);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw fail(in.position(), String.format(Locale.ROOT, "the header is not valid UTF-8: byte 0x%02X starts a malformed "
                        + "sequence of %d byte(s); expected UTF-8 JSON", json[in.position()] & 0xFF, result.length()),
                        null);
            }
            if (!result.isOverflow()) {
                break;
            }
            out.clear();
        }
    }

    private void readRoot(List<Parsed> parsed, SequencedMap<String, String> metadata) throws IOException {
        parser.nextToken(); // '{', checked before
        Map<String, Long> seen = new HashMap<>();
        boolean metadataSeen = false;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            long nameOffset = tokenOffset();
            String name = parser.currentName();
            requireWellFormed(name, nameOffset, "a tensor name");
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                if (metadataSeen) {
                    throw fail(nameOffset, "a second \"__metadata__\" object; expected at most one", null);
                }
                metadataSeen = true;
                readMetadata(metadata);
                continue;
            }
            Long earlier = seen.putIfAbsent(name, nameOffset);
            if (earlier != null) {
                throw fail(nameOffset, "duplicate tensor name '" + name + "' (first at byte offset "
                        + (SafetensorsHeader.LENGTH_PREFIX_BYTES + earlier) + "); expected each name once", null);
            }
            parsed.add(new Parsed(readEntry(name, nameOffset), nameOffset));
        }
        JsonToken after = parser.nextToken();
        if (after != null) {
            throw fail(tokenOffset(), "content after the header's JSON object (" + after.asString()
                    + "); expected only spaces up to the end of the header", null);
        }
    }

    private void readMetadata(SequencedMap<String, String> metadata) throws IOException {
        JsonToken start = parser.nextToken();
        if (start == JsonToken.VALUE_NULL) {
            return; // what a writer of an absent Option<HashMap> would produce; nothing to read
        }
        requireToken(start, JsonToken.START_OBJECT, "the \"__metadata__\" value", "an object of strings");
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            long keyOffset = tokenOffset();
            String key = parser.currentName();
            requireWellFormed(key, keyOffset, "a metadata key");
            JsonToken value = parser.nextToken();
            requireToken(value, JsonToken.VALUE_STRING, "the metadata value of '" + key + "'", "a string");
            String text = parser.getText();
            requireWellFormed(text, tokenOffset(), "the metadata value of '" + key + "'");
            if (metadata.putIfAbsent(key, text) != null) {
                throw fail(keyOffset, "duplicate metadata key '" + key + "'; expected each key once", null);
            }
        }
    }

    private Entry readEntry(String name, long nameOffset) throws IOException {
        requireToken(parser.nextToken(), JsonToken.START_OBJECT, "the entry of tensor '" + name + "'",
                "an object with dtype, shape and data_offsets");
        SafetensorsDType dtype = null;
        int[] shape = null;
        long[] offsets = null;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            long fieldOffset = tokenOffset();
            String field = parser.currentName();
            switch (field) {
                case "dtype" -> {
                    requireFirst(dtype == null, fieldOffset, field, name);
                    dtype = readDtype(name);
                }
                case "shape" -> {
                    requireFirst(shape == null, fieldOffset, field, name);
                    shape = readShape(name);
                }
                case "data_offsets" -> {
                    requireFirst(offsets == null, fieldOffset, field, name);
                    offsets = readOffsets(name);
                }
                default -> throw fail(fieldOffset, "unknown field '" + field + "' in the entry of tensor '" + name
                        + "'; expected only dtype, shape and data_offsets", null);
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw fail(nameOffset, "the entry of tensor '" + name + "' has no " + missing
                    + "; expected dtype, shape and data_offsets", null);
        }
        return checkedEntry(name, nameOffset, dtype, shape, offsets);
    }

    private void requireFirst(boolean first, long fieldOffset, String field, String name)
            throws CheckpointFormatException {
        if (!first) {
            throw fail(fieldOffset, "field '" + field + "' appears twice in the entry of tensor '" + name
                    + "'; expected it once", null);
        }
    }

    private SafetensorsDType readDtype(String name) throws IOException {
        requireToken(parser.nextToken(), JsonToken.VALUE_STRING, "the dtype of tensor '" + name + "'", "a string");
        String text = parser.getText();
        return SafetensorsDType.ofHeaderName(text).orElseThrow(() -> fail(tokenOffset(), "unknown dtype \""
                + abbreviate(text) + "\" of tensor '" + name + "'; expected one of " + SafetensorsDType.knownNames(),
                null));
    }

    private int[] readShape(String name) throws IOException {
        long[] sizes = readUnsignedArray("the shape of tensor '" + name + "'", 0, TensorSpec.DIMENSIONS_MAX,
                Integer.MAX_VALUE);
        int[] shape = new int[sizes.length];
        for (int axis = 0; axis < sizes.length; axis++) {
            shape[axis] = (int) sizes[axis]; // at most Integer.MAX_VALUE, checked while reading
        }
        return shape;
    }

    private long[] readOffsets(String name) throws IOException {
        return readUnsignedArray("the data_offsets of tensor '" + name + "'", 2, 2, Long.MAX_VALUE);
    }

    /** Reads an array of {@code lengthMin} to {@code lengthMax} integers from 0 to {@code valueMax}. */
    private long[] readUnsignedArray(String what, int lengthMin, int lengthMax, long valueMax) throws IOException {
        requireToken(parser.nextToken(), JsonToken.START_ARRAY, what, "an array of integers");
        long arrayOffset = tokenOffset();
        long[] values = new long[lengthMax];
        int count = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            requireToken(token, JsonToken.VALUE_NUMBER_INT, "element " + count + " of " + what, "an integer");
            boolean fitsLong = parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
            if (!fitsLong || parser.getLongValue() < 0 || parser.getLongValue() > valueMax) {
                throw fail(tokenOffset(), "element " + count + " of " + what + " is " + abbreviate(parser.getText())
                        + "; expected an integer from 0 to " + valueMax
                        + (valueMax == Integer.MAX_VALUE ? " (zbmd tensors have int sizes)" : ""), null);
            }
            if (count == lengthMax) {
                throw fail(tokenOffset(), what + " has more than " + lengthMax + " elements; expected at most "
                        + lengthMax, null);
            }
            values[count++] = parser.getLongValue();
        }
        if (count < lengthMin) {
            throw fail(arrayOffset, what + " have " + count + " numbers; expected " + lengthMin
                    + (lengthMin == 2 ? ", [begin, end]" : ""), null);
        }
        return Arrays.copyOf(values, count);
    }

    /** Checks what one entry says about itself: its range holds exactly its dtype × shape bytes. */
    private Entry checkedEntry(String name, long nameOffset, SafetensorsDType dtype, int[] shape, long[] offsets)
            throws CheckpointFormatException {
        TensorSpec spec;
        try {
            spec = new TensorSpec(dtype, shape);
        } catch (ArithmeticException overflow) {
            throw fail(nameOffset, "tensor '" + name + "' of dtype " + dtype + " and shape "
                    + Arrays.toString(shape) + " has more bytes than 2^63; expected a size that fits in a file",
                    overflow);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw fail(nameOffset, "tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "], which end before they begin; expected begin <= end", null);
        }
        if (end - begin != spec.byteCount()) {
            throw fail(nameOffset, "tensor '" + name + "' is " + spec + " = " + spec.byteCount() + " bytes, but its "
                    + "data_offsets [" + begin + ", " + end + "] hold " + (end - begin) + " bytes; expected "
                    + "end - begin = " + spec.byteCount(), null);
        }
        return new Entry(name, spec, begin, end);
    }

    /**
     * Sorts the entries by range and checks that they tile the buffer: from 0, without
     * overlaps or gaps, ending exactly at the end of the file.
     */
    private List<Entry> tile(List<Parsed> parsed) throws CheckpointFormatException {
        List<Parsed> sorted = new ArrayList<>(parsed);
        sorted.sort(Comparator.comparingLong((Parsed p) -> p.entry().beginBytes())
                .thenComparingLong(p -> p.entry().endBytes()));
        long bufferBytes = fileBytes - SafetensorsHeader.LENGTH_PREFIX_BYTES - json.length;
        Entry previous = null;
        long end = 0;
        List<Entry> entries = new ArrayList<>(sorted.size());
        for (Parsed p : sorted) {
            Entry entry = p.entry();
            if (entry.beginBytes() < end) {
                throw fail(p.jsonOffset(), "tensor '" + entry.name() + "' has data_offsets [" + entry.beginBytes()
                        + ", " + entry.endBytes() + "], which overlap those of tensor '" + previous.name() + "' ["
                        + previous.beginBytes() + ", " + previous.endBytes() + "]; expected it to begin at " + end,
                        null);
            }
            if (entry.beginBytes() > end) {
                throw fail(p.jsonOffset(), previous == null
                        ? "the first tensor in the buffer, '" + entry.name() + "', begins at " + entry.beginBytes()
                                + "; expected it to begin at 0"
                        : "a gap of " + (entry.beginBytes() - end) + " bytes between tensor '" + previous.name()
                                + "' (ends at " + end + ") and tensor '" + entry.name() + "' (begins at "
                                + entry.beginBytes() + "); expected the ranges to be contiguous", null);
            }
            entries.add(entry);
            previous = entry;
            end = entry.endBytes();
        }
        long dataStart = SafetensorsHeader.LENGTH_PREFIX_BYTES + json.length;
        if (end > bufferBytes) {
            throw new CheckpointFormatException(file, fileBytes, "truncated (or a lying header): the file ends at byte "
                    + fileBytes + ", but its header's tensors need " + end + " data bytes from byte " + dataStart
                    + "; expected the file to end at byte " + (dataStart + end), null);
        }
        if (end < bufferBytes) {
            throw new CheckpointFormatException(file, dataStart + end, (bufferBytes - end) + " bytes after the last "
                    + "tensor's data; expected the file to end at byte " + (dataStart + end) + ", where the header's "
                    + "tensors end", null);
        }
        return entries;
    }

    private void requireToken(JsonToken actual, JsonToken expected, String what, String expectation)
            throws CheckpointFormatException {
        if (actual != expected) {
            throw fail(tokenOffset(), what + " is " + describe(actual) + "; expected " + expectation, null);
        }
    }

    /** Rejects strings with unpaired surrogates, which JSON escapes can make but UTF-8 cannot hold. */
    private void requireWellFormed(String text, long offset, String what) throws CheckpointFormatException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw fail(offset, what + " holds an unpaired surrogate \\u" + Integer.toHexString(c)
                        + " at character " + i + "; expected valid Unicode", null);
            }
        }
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "missing";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.asString() == null ? token.name() : "'" + token.asString() + "'";
        };
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }

    private long tokenOffset() {
        long at = parser.currentTokenLocation().getByteOffset();
        return at < 0 ? 0 : Math.min(at, json.length);
    }

    private CheckpointFormatException fail(long jsonOffset, String detail, Throwable cause) {
        return new CheckpointFormatException(file, SafetensorsHeader.LENGTH_PREFIX_BYTES + jsonOffset, detail, cause);
    }
}
