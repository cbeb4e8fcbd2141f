package io.zbmd.ml.checkpoint;

import static io.zbmd.ml.checkpoint.CheckpointTestFiles.checkpointFile;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.concat;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.data;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.headerLength;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.lengthPrefix;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.randomCheckpoint;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.withHeaderLength;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.zbmd.testing.Seeds;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoint files against damage: a valid random checkpoint is written, then mutated by its
 * seed, byte-wise (bytes set, bits flipped, truncated, cut, inserted, appended), in its length
 * prefix (2^60, 2^64 - 1, off by a few, the file's length), or in its header (offsets moved
 * beyond the file or into another tensor, a dtype swapped, an entry duplicated, bytes that are
 * not UTF-8, a JSON delimiter dropped), and read. Each mutant must either be rejected with a
 * {@link CheckpointFormatException} naming the file and an offset inside it and what was
 * expected (a flip in tensor data is caught by its CRC32C, one in the header by the header's),
 * or read as exactly the original checkpoint (a mutation that changes nothing the file means,
 * such as a space turned into a tab). Anything else (another exception, an out-of-memory, a
 * hang, a checkpoint that reads differently) fails the case with its seed.
 */
class CheckpointMutationPropertyTest {
    @TempDir
    Path directory;

    static Stream<Long> seeds() {
        return Seeds.of(1000);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    // A hang guard, not a timing assertion: a case reads a few hundred bytes in well under a
    // millisecond, and a separate thread lets the guard fire even if the reader never returns.
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMutatedCheckpointIsRejectedPreciselyOrReadsUnchanged(long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        Checkpoint original = randomCheckpoint(random);
        List<String> mutations = new ArrayList<>();
        byte[] mutated = mutate(checkpointFile(original), random, mutations);

        requireRejectedOrUnchanged(original, mutated, Seeds.replay(seed) + ", mutations " + mutations);
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        Checkpoint original = randomCheckpoint(new SplittableRandom(1));
        byte[] valid = checkpointFile(original);
        for (int length = 0; length < valid.length; length++) {
            String replay = "truncated to " + length + " of " + valid.length + " bytes";
            CheckpointFormatException e = requireRejectedOrUnchanged(original, Arrays.copyOf(valid, length), replay);
            assertThat(e).as(replay).isNotNull();
        }
    }

    @Test
    void everyChangedByteIsRejectedOrChangesNothing() throws IOException {
        SplittableRandom random = new SplittableRandom(2);
        Checkpoint original = randomCheckpoint(random);
        byte[] valid = checkpointFile(original);
        int rejected = 0;
        for (int at = 0; at < valid.length; at++) {
            byte[] mutated = valid.clone();
            int mask = 1 + random.nextInt(255);
            mutated[at] ^= (byte) mask;
            String replay = "byte " + at + " of " + valid.length + " xor 0x" + Integer.toHexString(mask);
            rejected += requireRejectedOrUnchanged(original, mutated, replay) == null ? 0 : 1;
        }
        // Only header padding (a space turned into other whitespace) may read unchanged.
        long padding = headerLength(valid) - CheckpointTestFiles.headerJson(valid).stripTrailing().length();
        assertThat(valid.length - rejected).isLessThanOrEqualTo((int) padding);
    }

    /**
     * @return the exception if the mutant was rejected, null if it read unchanged
     */
    private CheckpointFormatException requireRejectedOrUnchanged(Checkpoint original, byte[] mutated, String replay)
            throws IOException {
        Path file = Files.write(directory.resolve("step-mutant.safetensors"), mutated);
        boolean readsAsTheOriginal;
        try (Arena arena = Arena.ofConfined()) {
            readsAsTheOriginal = CheckpointFile.read(file, arena).contentEquals(original);
        } catch (CheckpointFormatException e) {
            assertThat(e.file()).as(replay).isEqualTo(file);
            assertThat(e.offsetBytes()).as("%s: %s", replay, e.getMessage()).isBetween(0L, (long) mutated.length);
            assertThat(e.getMessage()).as(replay).startsWith(file + ": at byte offset " + e.offsetBytes() + ": ")
                    .contains("expected");
            return e;
        } catch (Throwable other) {
            return fail("not the documented exception, " + replay, other);
        }
        assertThat(readsAsTheOriginal).as("a mutant that reads must read as the original (else damage went "
                + "unnoticed), %s", replay).isTrue();
        return null;
    }

    private static byte[] mutate(byte[] original, SplittableRandom random, List<String> log) {
        byte[] bytes = original;
        int count = 1 + random.nextInt(3);
        for (int m = 0; m < count; m++) {
            bytes = switch (random.nextInt(4)) {
                case 0, 1 -> mutateBytes(bytes, random, log);
                case 2 -> lieAboutTheHeaderLength(bytes, random, log);
                default -> mutateHeader(bytes, random, log);
            };
        }
        return bytes;
    }

    private static byte[] mutateBytes(byte[] bytes, SplittableRandom random, List<String> log) {
        int at = random.nextInt(bytes.length + 1);
        switch (random.nextInt(6)) {
            case 0 -> {
                if (at < bytes.length) {
                    bytes = bytes.clone();
                    bytes[at] = (byte) random.nextInt(256);
                    log.add("set " + at + "=" + (bytes[at] & 0xFF));
                }
            }
            case 1 -> {
                if (at < bytes.length) {
                    bytes = bytes.clone();
                    int bit = random.nextInt(8);
                    bytes[at] ^= (byte) (1 << bit);
                    log.add("flip bit " + bit + " of " + at);
                }
            }
            case 2 -> {
                bytes = Arrays.copyOf(bytes, at);
                log.add("truncate " + at);
            }
            case 3 -> {
                int end = Math.min(bytes.length, at + 1 + random.nextInt(8));
                bytes = concat(Arrays.copyOf(bytes, at), Arrays.copyOfRange(bytes, end, bytes.length));
                log.add("cut " + at + ".." + end);
            }
            case 4 -> {
                byte[] inserted = CheckpointTestFiles.randomBytes(random, 1 + random.nextInt(8));
                bytes = concat(Arrays.copyOf(bytes, at), inserted, Arrays.copyOfRange(bytes, at, bytes.length));
                log.add("insert " + inserted.length + " at " + at);
            }
            default -> {
                bytes = concat(bytes, CheckpointTestFiles.randomBytes(random, 1 + random.nextInt(8)));
                log.add("append");
            }
        }
        return bytes;
    }

    private static byte[] lieAboutTheHeaderLength(byte[] bytes, SplittableRandom random, List<String> log) {
        if (bytes.length < 8) {
            return bytes;
        }
        long n = headerLength(bytes);
        long[] lies = {1L << 60, Long.MAX_VALUE, -1, 0, 1, n - 1 - random.nextInt(8), n + 1 + random.nextInt(8),
            bytes.length, bytes.length - 8, 100_000_001, random.nextLong()};
        long lie = lies[random.nextInt(lies.length)];
        log.add("header length " + Long.toUnsignedString(lie));
        return withHeaderLength(bytes, lie);
    }

    /** Re-encodes the header with one entry or one byte changed, keeping the length prefix true. */
    private static byte[] mutateHeader(byte[] bytes, SplittableRandom random, List<String> log) {
        if (bytes.length < 8 || headerLength(bytes) < 0 || headerLength(bytes) > bytes.length - 8) {
            return bytes; // an earlier mutation already broke the prefix
        }
        byte[] json = Arrays.copyOfRange(bytes, 8, 8 + (int) headerLength(bytes));
        byte[] changed = switch (random.nextInt(3)) {
            case 0 -> reencodeWithChangedEntry(bytes, json, random, log);
            case 1 -> {
                byte[][] invalid = {{(byte) 0xFF}, {(byte) 0xC3, 0x28}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                    {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}};
                byte[] bad = invalid[random.nextInt(invalid.length)];
                int at = random.nextInt(json.length + 1);
                log.add("non-UTF-8 " + Arrays.toString(bad) + " at header byte " + at);
                yield concat(Arrays.copyOf(json, at), bad, Arrays.copyOfRange(json, at, json.length));
            }
            default -> {
                String text = new String(json, StandardCharsets.UTF_8);
                int at = random.nextInt(Math.max(1, text.length()));
                int delimiter = indexOfDelimiter(text, at);
                log.add("drop delimiter at header char " + delimiter);
                yield delimiter < 0 ? json
                        : (text.substring(0, delimiter) + text.substring(delimiter + 1)).getBytes(StandardCharsets.UTF_8);
            }
        };
        return concat(lengthPrefix(changed.length), changed, data(bytes));
    }

    private static int indexOfDelimiter(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if ("{}[]:,\"".indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** An entry of a header as text, so that tests can write headers the writer never would. */
    private record RawEntry(String name, String dtype, String shape, long begin, long end) {
        String json() {
            return quote(name) + ":{\"dtype\":" + quote(dtype) + ",\"shape\":" + shape + ",\"data_offsets\":[" + begin
                    + "," + end + "]}";
        }
    }

    private static String quote(String text) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
    }

    private static byte[] reencodeWithChangedEntry(byte[] file, byte[] json, SplittableRandom random, List<String> log) {
        SafetensorsHeader header;
        try {
            header = HeaderParser.parse(Path.of("mutant"), json, file.length);
        } catch (CheckpointFormatException alreadyBroken) {
            return json; // an earlier mutation broke the header; there is no structure left to change
        }
        List<RawEntry> entries = new ArrayList<>();
        for (SafetensorsHeader.Entry entry : header.entries()) {
            entries.add(new RawEntry(entry.name(), entry.spec().dtype().name(),
                    Arrays.toString(entry.spec().shape()).replace(" ", ""), entry.beginBytes(), entry.endBytes()));
        }
        if (entries.isEmpty()) {
            return json;
        }
        int pick = random.nextInt(entries.size());
        RawEntry e = entries.get(pick);
        switch (random.nextInt(6)) {
            case 0 -> {
                long beyond = e.end() + 1 + random.nextLong(1L << 40);
                entries.set(pick, new RawEntry(e.name(), e.dtype(), e.shape(), e.begin(), beyond));
                log.add("offsets of " + e.name() + " beyond the file");
            }
            case 1 -> {
                long back = 1 + random.nextInt(16);
                entries.set(pick, new RawEntry(e.name(), e.dtype(), e.shape(), e.begin() - back, e.end() - back));
                log.add("range of " + e.name() + " moved back by " + back);
            }
            case 2 -> {
                SafetensorsDType other = SafetensorsDType.values()[random.nextInt(SafetensorsDType.values().length)];
                entries.set(pick, new RawEntry(e.name(), other.name(), e.shape(), e.begin(), e.end()));
                log.add("dtype of " + e.name() + " " + e.dtype() + " -> " + other);
            }
            case 3 -> {
                entries.add(random.nextInt(entries.size() + 1), e);
                log.add("duplicate entry " + e.name());
            }
            case 4 -> {
                String shape = "[" + random.nextInt(5) + "," + random.nextInt(5) + "]";
                entries.set(pick, new RawEntry(e.name(), e.dtype(), shape, e.begin(), e.end()));
                log.add("shape of " + e.name() + " " + e.shape() + " -> " + shape);
            }
            default -> {
                Collections.shuffle(entries, new Random(random.nextLong()));
                log.add("entries reordered in the JSON (harmless)");
            }
        }
        String metadata = header.metadata().entrySet().stream()
                .map(entry -> quote(entry.getKey()) + ":" + quote(entry.getValue()))
                .collect(Collectors.joining(",", "\"__metadata__\":{", "}"));
        String body = entries.stream().map(RawEntry::json).collect(Collectors.joining(","));
        return ("{" + metadata + "," + body + "}").getBytes(StandardCharsets.UTF_8);
    }
}
