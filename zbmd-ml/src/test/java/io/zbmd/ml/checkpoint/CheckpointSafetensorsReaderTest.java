package io.zbmd.ml.checkpoint;

import static io.zbmd.ml.checkpoint.CheckpointTestFiles.concat;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.lengthPrefix;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.littleEndianFloats;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.rawFile;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.withHeaderLength;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input the format allows is rejected with a {@link CheckpointFormatException}
 * that names the file, the exact byte offset and what was expected, before anything of the
 * (claimed) data size is allocated.
 */
class CheckpointSafetensorsReaderTest {
    @TempDir
    Path directory;

    /** A valid entry of 2 floats at [begin, begin + 8). */
    private static String entry(String name, long begin) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + begin + "," + (begin + 8) + "]}";
    }

    private static final String VALID = "{" + entry("a", 0) + "," + entry("b", 8) + "}";
    private static final byte[] DATA = littleEndianFloats(1, 2, 3, 4);

    /** The file offset of the first occurrence of {@code text} in the header {@code json}. */
    private static long at(String json, String text) {
        int index = json.indexOf(text);
        assertThat(index).as("'%s' in %s", text, json).isNotNegative();
        return 8 + json.substring(0, index).getBytes(StandardCharsets.UTF_8).length;
    }

    private static long lastAt(String json, String text) {
        return 8 + json.substring(0, json.lastIndexOf(text)).getBytes(StandardCharsets.UTF_8).length;
    }

    private static Arguments bad(String what, byte[] file, long offset, String... fragments) {
        return Arguments.of(what, file, offset, fragments);
    }

    private static Arguments badHeader(String what, String json, long offset, String... fragments) {
        return bad(what, rawFile(json, DATA), offset, fragments);
    }

    static Stream<Arguments> badFiles() {
        byte[] valid = rawFile(VALID, DATA);
        String twoMeta = "{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{}," + entry("a", 0) + "," + entry("b", 8) + "}";
        String dupName = "{" + entry("a", 0) + "," + entry("a", 8) + "}";
        String dupKey = "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + entry("a", 0) + "," + entry("b", 8) + "}";
        String overlap = "{" + entry("a", 0) + "," + entry("b", 4) + "}";
        String gap = "{" + entry("a", 0) + "," + entry("b", 12) + "}";
        String late = "{" + entry("a", 8) + "," + entry("b", 16) + "}";
        String beyond = "{\"a\":{\"dtype\":\"F32\",\"shape\":[268435456],\"data_offsets\":[0,1073741824]}}";
        String threeOffsets = VALID.replaceFirst("\\[0,8]", "[0,8,8]");
        String oneOffset = VALID.replaceFirst("\\[0,8]", "[0]");
        String wrongSize = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}," + entry("b", 8) + "}";
        String backwards = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}," + entry("b", 8) + "}";
        String huge = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824],\"data_offsets\":[0,4611686018427387904]}}";
        String overflow = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],"
                + "\"data_offsets\":[0,8]}}";
        return Stream.of(
                bad("shorter than the length prefix", new byte[] {8, 0, 0}, 3, "truncated", "at least 8"),
                bad("a header length of 2^60", withHeaderLength(valid, 1L << 60), 0, "1152921504606846976",
                        "headerBytesMax = 100000000"),
                bad("a header length of 2^64 - 1", withHeaderLength(valid, -1), 0, "18446744073709551615"),
                bad("a header length past the end", withHeaderLength(valid, valid.length), 0,
                        "only " + (valid.length - 8) + " bytes follow"),
                bad("a header length that cuts the JSON", withHeaderLength(valid, VALID.length() - 1),
                        8 + VALID.length() - 1, "malformed JSON"),
                bad("an empty header", rawFile("", DATA), 8, "empty", "'{'"),
                badHeader("a header that is not an object", "[]" + " ".repeat(6), 8, "0x5B", "expected '{'"),
                bad("non-UTF-8 bytes in a name", rawFile(concat("{\"a\u00e9".getBytes(StandardCharsets.UTF_8),
                        new byte[] {(byte) 0xC3, 0x28}, "\":1}".getBytes(StandardCharsets.UTF_8)), DATA), 8 + 5,
                        "not valid UTF-8", "0xC3"),
                bad("a NUL byte", rawFile(concat("{\"a".getBytes(StandardCharsets.UTF_8), new byte[] {0},
                        "\":1}".getBytes(StandardCharsets.UTF_8)), DATA), 8 + 3, "NUL"),
                badHeader("malformed JSON: a missing brace", VALID.substring(0, VALID.length() - 1),
                        8 + VALID.length() - 1, "malformed JSON"),
                badHeader("malformed JSON: a trailing comma", VALID.replace("]}}", "]},}"), -1, "malformed JSON"),
                badHeader("content after the object", VALID + " {}", lastAt(VALID + " {}", "{}"), "content after"),
                badHeader("two __metadata__ objects", twoMeta, lastAt(twoMeta, "\"__metadata__\""), "second"),
                badHeader("duplicate tensor names", dupName, lastAt(dupName, "\"a\""), "duplicate tensor name 'a'",
                        "first at byte offset 9"),
                badHeader("duplicate metadata keys", dupKey, lastAt(dupKey, "\"k\""), "duplicate metadata key 'k'"),
                badHeader("a metadata value that is not a string",
                        "{\"__metadata__\":{\"k\":1}," + entry("a", 0) + "," + entry("b", 8) + "}", 8 + 21,
                        "is an integer", "expected a string"),
                badHeader("an unknown dtype", VALID.replaceFirst("F32", "F128"), at(VALID, "F32") - 1,
                        "unknown dtype \"F128\"", "expected one of BOOL, U8"),
                badHeader("a negative size", VALID.replaceFirst("\\[2]", "[-2]"), at(VALID, "2]"), "is -2",
                        "from 0 to 2147483647"),
                badHeader("a fractional size", VALID.replaceFirst("\\[2]", "[2.0]"), at(VALID, "2]"),
                        "a fractional number", "expected an integer"),
                badHeader("a size beyond int", VALID.replaceFirst("\\[2]", "[4294967296]"), at(VALID, "2]"),
                        "4294967296", "int sizes"),
                badHeader("a size beyond u64", VALID.replaceFirst("\\[2]", "[99999999999999999999]"), at(VALID, "2]"),
                        "99999999999999999999"),
                badHeader("65 dimensions", VALID.replaceFirst("\\[2]", "[2" + ",1".repeat(64) + "]"), -1,
                        "more than 64 elements"),
                badHeader("three data offsets", threeOffsets, at(threeOffsets, "[0,8,8]") + 5, "has more than 2 elements"),
                badHeader("one data offset", oneOffset, at(oneOffset, "[0]"), "have 1 numbers", "[begin, end]"),
                badHeader("a missing field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 9, "has no data_offsets"),
                badHeader("an unknown field", VALID.replaceFirst("\"shape\"", "\"offset\":1,\"shape\""),
                        at(VALID, "\"shape\""), "unknown field 'offset'"),
                badHeader("a repeated field", VALID.replaceFirst("\"shape\":\\[2],", "\"shape\":[2],\"shape\":[2],"),
                        at(VALID, "\"data_offsets\""), "field 'shape' appears twice"),
                badHeader("an entry that is not an object", "{\"a\":[1]}", 8 + 5, "is an array",
                        "expected an object with dtype"),
                badHeader("an unpaired surrogate escape in a name", "{\"a\\ud800\":1}", -1, "surrogate"),
                badHeader("an unpaired surrogate escape in a metadata value",
                        "{\"__metadata__\":{\"k\":\"\\udc00x\"}," + entry("a", 0) + "," + entry("b", 8) + "}", -1,
                        "surrogate"),
                badHeader("dtype and shape that disagree with the byte count", wrongSize, 9, "F64 [2] = 16 bytes",
                        "hold 8 bytes", "expected end - begin = 16"),
                badHeader("offsets that end before they begin", backwards, 9, "end before they begin"),
                badHeader("overlapping ranges", overlap, at(overlap, "\"b\""), "overlap", "tensor 'a' [0, 8]",
                        "expected it to begin at 8"),
                badHeader("a gap between ranges", gap, at(gap, "\"b\""), "a gap of 4 bytes", "contiguous"),
                badHeader("a first range not at 0", late, at(late, "\"a\""), "begins at 8", "expected it to begin at 0"),
                badHeader("offsets beyond the file", beyond, 8 + beyond.length() + 16, "truncated (or a lying header)",
                        "need 1073741824 data bytes"),
                badHeader("a shape of 2^62 bytes in a tiny file", huge, 8 + huge.length() + 16, "need 4611686018427387904"),
                badHeader("a shape whose byte count overflows", overflow, 9, "more bytes than 2^63"),
                bad("truncated data", rawFile(VALID, littleEndianFloats(1, 2, 3)), 8 + VALID.length() + 12, "truncated",
                        "expected the file to end at byte " + (8 + VALID.length() + 16)),
                bad("trailing bytes", rawFile(VALID, concat(DATA, new byte[] {1})), 8 + VALID.length() + 16,
                        "1 bytes after the last tensor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badInputIsRejectedWithFileOffsetAndExpectation(String what, byte[] bytes, long offset, String[] fragments)
            throws IOException {
        Path file = Files.write(directory.resolve("bad.safetensors"), bytes);

        CheckpointFormatException e;
        try (Arena arena = Arena.ofConfined()) {
            e = catchThrowableOfType(CheckpointFormatException.class,
                    () -> SafetensorsReader.withDefaults().read(file, arena));
        }

        assertThat(e).as(what).isNotNull();
        assertThat(e.file()).isEqualTo(file);
        if (offset >= 0) {
            assertThat(e.offsetBytes()).as("offset of %s: %s", what, e.getMessage()).isEqualTo(offset);
        }
        assertThat(e.offsetBytes()).isBetween(0L, (long) bytes.length);
        assertThat(e.getMessage()).startsWith(file + ": at byte offset " + e.offsetBytes() + ": ").contains("expected")
                .contains(fragments).doesNotContain("REDACTED");
    }

    @Test
    void aNullMetadataObjectMeansNoMetadata() throws IOException {
        String json = "{\"__metadata__\":null," + entry("a", 0) + "," + entry("b", 8) + "}";
        SafetensorsHeader header = SafetensorsReader.withDefaults()
                .readHeader(Files.write(directory.resolve("f"), rawFile(json, DATA)));
        assertThat(header.metadata()).isEmpty();
        assertThat(header.entries()).hasSize(2);
    }

    @Test
    void theHeaderCapIsConfigurable() throws IOException {
        Path file = Files.write(directory.resolve("f"), rawFile(VALID, DATA));
        SafetensorsReader strict = SafetensorsReader.withDefaults().withHeaderBytesMax(16);

        assertThatThrownBy(() -> strict.readHeader(file)).isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("expected at most headerBytesMax = 16");
        assertThat(SafetensorsReader.withDefaults().readHeader(file).entries()).hasSize(2);
        assertThatThrownBy(() -> SafetensorsReader.withDefaults().withHeaderBytesMax(1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        assertThatThrownBy(() -> SafetensorsReader.withDefaults().readHeader(directory.resolve("absent")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void entriesMayBeInAnyOrderInTheJson() throws IOException {
        String json = "{" + entry("b", 8) + "," + entry("a", 0) + "}";
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsReader.Contents contents = SafetensorsReader.withDefaults()
                    .read(Files.write(directory.resolve("f"), concat(lengthPrefix(json.length()),
                            json.getBytes(StandardCharsets.UTF_8), DATA)), arena);
            assertThat(contents.tensors().keySet()).containsExactly("a", "b");
            assertThat(contents.tensors().get("b").toFloatArray()).containsExactly(3f, 4f);
        }
    }
}
