package io.zbmd.ml.checkpoint;

import static io.zbmd.ml.checkpoint.CheckpointTestFiles.concat;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.lengthPrefix;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.littleEndianFloats;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.rawFile;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.safetensorsFile;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer produces exactly the bytes of the published safetensors format, as the Hugging
 * Face library writes them (and so as PyTorch and every other reader expect): the length
 * prefix, compact JSON with {@code __metadata__} first, tensors by dtype alignment then name,
 * offsets from the start of the buffer, padding with spaces to 8 bytes. The first two
 * expectations are the byte vectors of that library's own serialisation tests, re-derived here
 * from the format's rules.
 */
class CheckpointSafetensorsLayoutTest {
    @TempDir
    Path directory;

    @Test
    void aSingleFloatTensorIsWrittenAsTheReferenceLibraryWritesIt() {
        TensorData attn = TensorData.ofFloats(new float[] {0, 1, 2, 3, 4, 5}, 1, 1, 2, 3);

        byte[] file = safetensorsFile(Map.of("attn0", attn), Map.of());

        String json = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";
        byte[] expected = concat(lengthPrefix(72), (json + " ".repeat(7)).getBytes(StandardCharsets.US_ASCII),
                littleEndianFloats(0, 1, 2, 3, 4, 5));
        assertThat(file).isEqualTo(expected);
        assertThat(file[0]).as("header length 72, little-endian").isEqualTo((byte) 72);
    }

    @Test
    void metadataAloneIsWrittenAsTheReferenceLibraryWritesIt() {
        byte[] file = safetensorsFile(Map.of(), Map.of("framework", "pt"));

        String header = "{\"__metadata__\":{\"framework\":\"pt\"}}" + " ".repeat(5);
        assertThat(file).isEqualTo(concat(lengthPrefix(40), header.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void anEmptyFileIsAnEmptyObjectPaddedToEightBytes() {
        assertThat(safetensorsFile(Map.of(), Map.of()))
                .isEqualTo(concat(lengthPrefix(8), "{}      ".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void tensorsAreLaidOutByAlignmentThenNameWithExactOffsets() throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("f", TensorData.ofBytes(SafetensorsDType.U8, new byte[] {7, 8, 9}, 1, 3));
        tensors.put("b", TensorData.ofFloats(new float[] {1.5f, -2f}, 2));
        tensors.put("d", TensorData.ofBytes(SafetensorsDType.F16, new byte[] {0x00, 0x3C}, new int[0])); // 1.0
        tensors.put("c", TensorData.ofBytes(SafetensorsDType.BF16, new byte[] {(byte) 0x80, 0x3F, 0, 0x40, 0, 0}, 3));
        tensors.put("e", TensorData.ofInts(new int[0], 0));
        tensors.put("a", TensorData.ofLongs(new long[] {-2}, 1));

        byte[] file = safetensorsFile(tensors, Map.of("zbmd", "layout"));

        String json = "{\"__metadata__\":{\"zbmd\":\"layout\"},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"e\":{\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[16,16]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"d\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[22,24]},"
                + "\"f\":{\"dtype\":\"U8\",\"shape\":[1,3],\"data_offsets\":[24,27]}}";
        assertThat(json.length()).isEqualTo(362);
        byte[] data = concat(new byte[] {-2, -1, -1, -1, -1, -1, -1, -1}, littleEndianFloats(1.5f, -2f),
                new byte[] {(byte) 0x80, 0x3F, 0, 0x40, 0, 0}, new byte[] {0x00, 0x3C}, new byte[] {7, 8, 9});
        byte[] expected = concat(lengthPrefix(368), (json + "      ").getBytes(StandardCharsets.US_ASCII), data);
        assertThat(new String(file, 8, 368, StandardCharsets.UTF_8)).isEqualTo(json + "      ");
        assertThat(file).isEqualTo(expected);

        SafetensorsHeader header = SafetensorsReader.withDefaults().readHeader(Files.write(directory.resolve("f"), file));
        assertThat(header.bufferStartBytes() % 8).as("data starts 8-byte aligned").isZero();
        for (SafetensorsHeader.Entry entry : header.entries()) {
            assertThat(entry.beginBytes() % entry.spec().dtype().bytes()).as("%s aligned", entry.name()).isZero();
        }
    }

    @Test
    void namesSortInCodePointOrderAsUtf8BytesDoNotInUtf16Order() {
        // U+FF61 sorts after the surrogate pair of U+1F600 in UTF-16, before it in UTF-8.
        String halfwidth = "\uFF61";
        String emoji = "😀";
        Map<String, TensorData> tensors = Map.of(emoji, TensorData.ofFloats(new float[] {1}, 1), halfwidth,
                TensorData.ofFloats(new float[] {2}, 1));

        SafetensorsHeader header = SafetensorsWriter.layout(tensors, Map.of());

        assertThat(header.entries()).extracting(SafetensorsHeader.Entry::name).containsExactly(halfwidth, emoji);
        String json = CheckpointTestFiles.headerJson(safetensorsFile(tensors, Map.of()));
        assertThat(json).startsWith("{\"" + halfwidth + "\":").contains("\"" + emoji + "\":");
    }

    @Test
    void theReferenceLibrarysBytesAreReadIncludingAnUnpaddedHeader() throws IOException {
        // Files written before padding was introduced have headers of any length.
        String json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertThat(json.length() % 8).isNotZero();
        Path file = Files.write(directory.resolve("legacy.safetensors"), rawFile(json, littleEndianFloats(3, 4)));

        try (Arena arena = Arena.ofConfined()) {
            SafetensorsReader.Contents contents = SafetensorsReader.withDefaults().read(file, arena);
            assertThat(contents.tensors().keySet()).containsExactly("x");
            assertThat(contents.tensors().get("x").toFloatArray()).containsExactly(3f, 4f);
            assertThat(contents.header().metadata()).isEmpty();
        }
    }

    @Test
    void controlCharactersAndQuotesInNamesAndMetadataAreEscapedAndReadBack() throws IOException {
        String name = "layer \"1\"\\\n\u0001é";
        Map<String, String> metadata = Map.of("note", "tab\there \"quoted\" \\ \u001F end");
        byte[] bytes = safetensorsFile(Map.of(name, TensorData.ofInts(new int[] {5}, 1)), metadata);
        String json = CheckpointTestFiles.headerJson(bytes);
        // serde_json's escapes: the short ones where JSON has them, else lower-case hex.
        assertThat(json).contains("\"layer \\\"1\\\"\\\\\\n\\u0001é\"")
                .contains("\"tab\\there \\\"quoted\\\" \\\\ \\u001f end\"");

        try (Arena arena = Arena.ofConfined()) {
            SafetensorsReader.Contents contents = SafetensorsReader.withDefaults()
                    .read(Files.write(directory.resolve("escaped"), bytes), arena);
            assertThat(contents.tensors().keySet()).containsExactly(name);
            assertThat(contents.header().metadata()).isEqualTo(metadata);
        }
    }

    @Test
    void layoutIsTheHeaderThatWriteWrites() {
        Map<String, TensorData> tensors = Map.of("w", TensorData.ofFloats(new float[6], 2, 3), "n",
                TensorData.ofLongs(new long[] {1, 2}, 2));
        SafetensorsHeader planned = SafetensorsWriter.layout(tensors, Map.of("k", "v"));
        byte[] file = safetensorsFile(tensors, Map.of("k", "v"));

        assertThat(planned.fileBytes()).isEqualTo(file.length);
        assertThat(planned.entries()).extracting(SafetensorsHeader.Entry::name).isEqualTo(List.of("n", "w"));
        assertThat(planned.specs()).containsEntry("w", TensorSpec.of(SafetensorsDType.F32, 2, 3));
    }
}
