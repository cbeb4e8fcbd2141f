package io.zbmd.ml.checkpoint;

import io.zbmd.ml.checkpoint.SafetensorsHeader.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A {@link Checkpoint} as one safetensors file, and back, with checksums that make any damage
 * a {@link CheckpointFormatException} rather than silently wrong weights.
 *
 * <p>Tensors: the model's under their own names, the optimizer's under
 * {@link Checkpoint#OPTIMIZER_PREFIX}. {@code __metadata__} (all strings, as the format
 * requires):
 * <ul>
 *   <li>{@code format = pt}: Hugging Face Transformers refuses safetensors weights without it;
 *   <li>{@code zbmd.checkpoint_format = 1}: this layout's version (a reader refuses others);
 *   <li>{@code zbmd.version}, {@code zbmd.step} (decimal), {@code zbmd.config},
 *       {@code zbmd.rng_state}, {@code zbmd.data_position};
 *   <li>{@code crc32c.<stored tensor name>}: the CRC32C of that tensor's bytes as stored, 8
 *       lower-case hex digits ({@link TensorData#crc32c()}), checkable with any CRC32C tool;
 *   <li>{@code zbmd.header_crc32c}: a CRC32C over everything else the header says (see
 *       {@link #headerCrc32c}), because tensor checksums alone miss a flipped byte that turns
 *       {@code "I32"} into {@code "F32"}, {@code [2,3]} into {@code [3,2]}, or the step
 *       {@code 1234} into {@code 1235}.
 * </ul>
 * Reading is strict: every key above must be there, no other key may be, and every checksum
 * must match.
 *
 * <p>Stateless, so thread-safe.
 */
public final class CheckpointFile {
    /** The version of this layout, in {@code zbmd.checkpoint_format}. */
    public static final int FORMAT_VERSION = 1;

    static final String FORMAT_KEY = "format";
    static final String FORMAT_PYTORCH = "pt";
    static final String CHECKPOINT_FORMAT_KEY = "zbmd.checkpoint_format";
    static final String VERSION_KEY = "zbmd.version";
    static final String STEP_KEY = "zbmd.step";
    static final String CONFIG_KEY = "zbmd.config";
    static final String RNG_STATE_KEY = "zbmd.rng_state";
    static final String DATA_POSITION_KEY = "zbmd.data_position";
    static final String HEADER_CRC_KEY = "zbmd.header_crc32c";
    static final String CRC_PREFIX = "crc32c.";

    private static final Set<String> FIXED_KEYS = Set.of(FORMAT_KEY, CHECKPOINT_FORMAT_KEY, VERSION_KEY, STEP_KEY,
            CONFIG_KEY, RNG_STATE_KEY, DATA_POSITION_KEY, HEADER_CRC_KEY);
    private static final Pattern CRC_HEX = Pattern.compile("[0-9a-f]{8}");
    private static final Pattern STEP_DECIMAL = Pattern.compile("0|[1-9][0-9]{0,18}");

    private CheckpointFile() {}

    /**
     * Writes a checkpoint as a safetensors file (layout: {@link SafetensorsWriter}). Computes
     * every tensor's CRC32C first, so it reads each tensor twice.
     *
     * @param checkpoint what to write
     * @param out where, from its current position; not flushed or synced
     * @return the header written
     * @throws IOException if writing fails
     */
    public static SafetensorsHeader write(Checkpoint checkpoint, WritableByteChannel out) throws IOException {
        Objects.requireNonNull(checkpoint, "checkpoint");
        SequencedMap<String, TensorData> tensors = storedTensors(checkpoint);
        return SafetensorsWriter.write(out, tensors, metadata(checkpoint, tensors));
    }

    /**
     * Reads a checkpoint and verifies it: format, metadata, the header checksum and every
     * tensor's checksum.
     *
     * @param file the file
     * @param arena where the tensors' memory is allocated (about the file's size)
     * @return the checkpoint, with {@link Checkpoint#source()} set to {@code file}
     * @throws CheckpointFormatException if the file is damaged or not a zbmd checkpoint of
     *     format {@link #FORMAT_VERSION}, naming the file, the offset and what was expected
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws IOException if it cannot be read
     */
    public static Checkpoint read(Path file, Arena arena) throws IOException {
        return decode(SafetensorsReader.withDefaults().read(file, arena));
    }

    private static SequencedMap<String, TensorData> storedTensors(Checkpoint checkpoint) {
        SequencedMap<String, TensorData> tensors = new LinkedHashMap<>(checkpoint.model());
        checkpoint.optimizerState().forEach((name, data) -> tensors.put(Checkpoint.OPTIMIZER_PREFIX + name, data));
        return tensors;
    }

    private static Map<String, String> metadata(Checkpoint checkpoint, Map<String, TensorData> tensors) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(FORMAT_KEY, FORMAT_PYTORCH);
        metadata.put(CHECKPOINT_FORMAT_KEY, Integer.toString(FORMAT_VERSION));
        metadata.put(VERSION_KEY, checkpoint.zbmdVersion());
        metadata.put(STEP_KEY, Long.toString(checkpoint.step()));
        metadata.put(CONFIG_KEY, checkpoint.config());
        metadata.put(RNG_STATE_KEY, checkpoint.rngState());
        metadata.put(DATA_POSITION_KEY, checkpoint.dataPosition());
        tensors.forEach((name, data) -> metadata.put(CRC_PREFIX + name, hex(data.crc32c())));
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        tensors.forEach((name, data) -> specs.put(name, data.spec()));
        metadata.put(HEADER_CRC_KEY, hex(headerCrc32c(specs, metadata)));
        return metadata;
    }

    /**
     * The header checksum: CRC32C over a canonical encoding of every tensor's name, dtype and
     * shape, and every metadata entry but {@code zbmd.header_crc32c} itself. Each field is
     * written as its UTF-8 byte length in decimal, a colon, and its UTF-8 bytes (so no two
     * headers encode alike): the tensor count, then per tensor in code point order of names
     * its name, dtype and comma-separated sizes; the metadata count, then per key in code point
     * order the key and the value. Data offsets are left out: they follow from the order, and
     * a tensor whose bytes moved fails its own checksum.
     *
     * @param specs the stored tensors' specs by stored name
     * @param metadata all metadata (a {@code zbmd.header_crc32c} entry in it is skipped)
     * @return the CRC32C, 0 to 2^32 - 1
     */
    static long headerCrc32c(Map<String, TensorSpec> specs, Map<String, String> metadata) {
        ByteArrayOutputStream canonical = new ByteArrayOutputStream();
        TreeMap<String, TensorSpec> sortedSpecs = new TreeMap<>(SafetensorsWriter::compareCodePoints);
        sortedSpecs.putAll(specs);
        field(canonical, Integer.toString(sortedSpecs.size()));
        sortedSpecs.forEach((name, spec) -> {
            field(canonical, name);
            field(canonical, spec.dtype().name());
            StringBuilder sizes = new StringBuilder();
            for (int size : spec.shape()) {
                sizes.append(sizes.isEmpty() ? "" : ",").append(size);
            }
            field(canonical, sizes.toString());
        });
        TreeMap<String, String> sortedMetadata = new TreeMap<>(SafetensorsWriter::compareCodePoints);
        sortedMetadata.putAll(metadata);
        sortedMetadata.remove(HEADER_CRC_KEY);
        field(canonical, Integer.toString(sortedMetadata.size()));
        sortedMetadata.forEach((key, value) -> {
            field(canonical, key);
            field(canonical, value);
        });
        CRC32C crc = new CRC32C();
        crc.update(canonical.toByteArray());
        return crc.getValue();
    }

    private static void field(ByteArrayOutputStream out, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeBytes((utf8.length + ":").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(utf8);
    }

    private static String hex(long crc32c) {
        return String.format(Locale.ROOT, "%08x", crc32c);
    }

    /** Turns a verified safetensors file into a checkpoint, checking everything zbmd added to it. */
    static Checkpoint decode(SafetensorsReader.Contents contents) throws CheckpointFormatException {
        Path file = contents.file();
        SafetensorsHeader header = contents.header();
        Map<String, String> metadata = header.metadata();
        String formatVersion = metadata.get(CHECKPOINT_FORMAT_KEY);
        if (formatVersion == null) {
            throw metadataError(file, "no metadata key " + CHECKPOINT_FORMAT_KEY + ": a safetensors file, but not a "
                    + "zbmd checkpoint; expected the __metadata__ a zbmd checkpoint has");
        }
        if (!formatVersion.equals(Integer.toString(FORMAT_VERSION))) {
            throw metadataError(file, CHECKPOINT_FORMAT_KEY + " is \"" + formatVersion + "\"; expected \""
                    + FORMAT_VERSION + "\", the only checkpoint format this zbmd (" + ZbmdVersion.current()
                    + ") reads");
        }
        requireKeys(file, header);
        String recordedHeaderCrc = metadata.get(HEADER_CRC_KEY);
        String actualHeaderCrc = hex(headerCrc32c(header.specs(), metadata));
        if (!recordedHeaderCrc.equals(actualHeaderCrc)) {
            throw metadataError(file, "the header's CRC32C is " + actualHeaderCrc + "; expected " + recordedHeaderCrc
                    + " as recorded in " + HEADER_CRC_KEY + " (the header's names, dtypes, shapes or metadata are "
                    + "corrupt)");
        }
        long step = parseStep(file, metadata.get(STEP_KEY));
        SequencedMap<String, TensorData> model = new LinkedHashMap<>();
        SequencedMap<String, TensorData> optimizer = new LinkedHashMap<>();
        for (Entry entry : header.entries()) {
            TensorData data = contents.tensors().get(entry.name());
            requireCrc(file, header, entry, data, metadata.get(CRC_PREFIX + entry.name()));
            if (entry.name().startsWith(Checkpoint.OPTIMIZER_PREFIX)) {
                optimizer.put(entry.name().substring(Checkpoint.OPTIMIZER_PREFIX.length()), data);
            } else {
                model.put(entry.name(), data);
            }
        }
        return new Checkpoint(step, metadata.get(VERSION_KEY), metadata.get(CONFIG_KEY), metadata.get(RNG_STATE_KEY),
                metadata.get(DATA_POSITION_KEY), model, optimizer, file);
    }

    /** Every fixed key and one checksum per tensor are there, and nothing else. */
    private static void requireKeys(Path file, SafetensorsHeader header) throws CheckpointFormatException {
        Map<String, String> metadata = header.metadata();
        for (String key : FIXED_KEYS) {
            if (!metadata.containsKey(key)) {
                throw metadataError(file, "no metadata key " + key + "; expected it in every zbmd checkpoint");
            }
        }
        Set<String> checksummed = new HashSet<>();
        for (Entry entry : header.entries()) {
            String key = CRC_PREFIX + entry.name();
            String value = metadata.get(key);
            if (value == null || !CRC_HEX.matcher(value).matches()) {
                throw metadataError(file, "metadata " + key + (value == null ? " is missing" : " is \"" + value + "\"")
                        + "; expected the tensor's CRC32C as 8 lower-case hex digits");
            }
            checksummed.add(key);
        }
        for (String key : metadata.keySet()) {
            if (!FIXED_KEYS.contains(key) && !checksummed.contains(key)) {
                throw metadataError(file, "unexpected metadata key '" + key + "'" + (key.startsWith(CRC_PREFIX)
                        ? " (a checksum for a tensor the file does not have)" : "") + "; expected only the keys of "
                        + "checkpoint format " + FORMAT_VERSION);
            }
        }
    }

    private static long parseStep(Path file, String text) throws CheckpointFormatException {
        if (STEP_DECIMAL.matcher(text).matches()) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                // falls through to the error below
            }
        }
        throw metadataError(file, STEP_KEY + " is \"" + text + "\"; expected a decimal step from 0 to "
                + Long.MAX_VALUE);
    }

    private static void requireCrc(Path file, SafetensorsHeader header, Entry entry, TensorData data, String recorded)
            throws CheckpointFormatException {
        String actual = hex(data.crc32c());
        if (!actual.equals(recorded)) {
            long at = header.bufferStartBytes() + entry.beginBytes();
            throw new CheckpointFormatException(file, at, "tensor '" + entry.name() + "' (" + entry.spec() + ", bytes "
                    + at + " to " + (header.bufferStartBytes() + entry.endBytes()) + "): CRC32C " + actual
                    + "; expected " + recorded + " as recorded in " + CRC_PREFIX + entry.name()
                    + " (the tensor's data is corrupt)", null);
        }
    }

    /** Metadata problems are reported at the start of the JSON header, where __metadata__ lives. */
    private static CheckpointFormatException metadataError(Path file, String detail) {
        return new CheckpointFormatException(file, SafetensorsHeader.LENGTH_PREFIX_BYTES, detail, null);
    }
}
