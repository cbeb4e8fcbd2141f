package io.zbmd.ml.checkpoint;

import static io.zbmd.ml.checkpoint.CheckpointTestFiles.checkpointFile;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.safetensorsFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint as a file: what the metadata records, how the two kinds of tensor are named,
 * that every checksum is checked, and what an incompatible model is told.
 */
class CheckpointFileTest {
    @TempDir
    Path directory;

    private static Checkpoint smallCheckpoint() {
        return Checkpoint.builder(1234)
                .config("{\"lr\":0.001}")
                .rngState("seed=7;draws=99")
                .dataPosition("epoch=2;sample=640")
                .modelTensor("0.weight", TensorData.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
                .modelTensor("0.bias", TensorData.ofFloats(new float[] {0.5f, -0.5f}, 2))
                .optimizerTensor("0.exp_avg", TensorData.ofFloats(new float[6], 2, 3))
                .optimizerTensor("steps", TensorData.ofLongs(new long[] {1234, 1234}, 2))
                .build();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(directory.resolve(name), bytes);
    }

    @Test
    void metadataRecordsVersionStepStringsAndAChecksumPerTensor() throws IOException {
        byte[] bytes = checkpointFile(smallCheckpoint());
        SafetensorsHeader header = SafetensorsReader.withDefaults().readHeader(write("c.safetensors", bytes));

        assertThat(header.metadata()).containsEntry("format", "pt")
                .containsEntry("zbmd.checkpoint_format", "1")
                .containsEntry("zbmd.version", "0.1.0-SNAPSHOT")
                .containsEntry("zbmd.step", "1234")
                .containsEntry("zbmd.config", "{\"lr\":0.001}")
                .containsEntry("zbmd.rng_state", "seed=7;draws=99")
                .containsEntry("zbmd.data_position", "epoch=2;sample=640")
                .containsKey("zbmd.header_crc32c");
        assertThat(header.specs().keySet()).containsExactlyInAnyOrder("0.weight", "0.bias", "optimizer.0.exp_avg",
                "optimizer.steps");
        for (SafetensorsHeader.Entry entry : header.entries()) {
            // Recomputed independently, over the file's own bytes at the header's offsets.
            CRC32C crc = new CRC32C();
            crc.update(bytes, (int) (header.bufferStartBytes() + entry.beginBytes()),
                    (int) (entry.endBytes() - entry.beginBytes()));
            assertThat(header.metadata()).containsEntry("crc32c." + entry.name(), String.format("%08x", crc.getValue()));
        }
        assertThat(header.metadata()).hasSize(8 + 4);
    }

    @Test
    void readingGivesBackModelAndOptimizerTensorsUnderTheirOwnNames() throws IOException {
        Checkpoint written = smallCheckpoint();
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint read = CheckpointFile.read(write("c", checkpointFile(written)), arena);

            assertThat(read.contentEquals(written)).isTrue();
            assertThat(read.model().keySet()).containsExactlyInAnyOrder("0.weight", "0.bias");
            assertThat(read.optimizerState().keySet()).containsExactlyInAnyOrder("0.exp_avg", "steps");
            assertThat(read.model().get("0.weight").toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(read.optimizerState().get("steps").toLongArray()).containsExactly(1234, 1234);
            assertThat(read.step()).isEqualTo(1234);
            assertThat(read.zbmdVersion()).isEqualTo("0.1.0-SNAPSHOT");
        }
    }

    @Test
    void aCorruptTensorIsNamedWithItsOffsetAndBothChecksums() throws IOException {
        byte[] bytes = checkpointFile(smallCheckpoint());
        Path probe = write("probe", bytes);
        SafetensorsHeader header = SafetensorsReader.withDefaults().readHeader(probe);
        SafetensorsHeader.Entry weight = header.entries().stream().filter(e -> e.name().equals("0.weight")).findFirst()
                .orElseThrow();
        long begin = header.bufferStartBytes() + weight.beginBytes();
        bytes[(int) begin + 5] ^= 0x10;
        Path file = write("corrupt", bytes);

        try (Arena arena = Arena.ofConfined()) {
            CheckpointFormatException e = catchThrowableOfType(CheckpointFormatException.class,
                    () -> CheckpointFile.read(file, arena));
            assertThat(e.offsetBytes()).isEqualTo(begin);
            assertThat(e.getMessage()).contains(file.toString(), "tensor '0.weight' (F32 [2, 3], bytes " + begin + " to "
                    + (begin + 24) + ")", "expected " + header.metadata().get("crc32c.0.weight"), "corrupt");
        }
    }

    @Test
    void aHeaderChangeThatKeepsTheJsonValidFailsTheHeaderChecksum() throws IOException {
        String original = new String(checkpointFile(smallCheckpoint()), StandardCharsets.ISO_8859_1);
        List<String[]> edits = List.of(
                new String[] {"\"zbmd.step\":\"1234\"", "\"zbmd.step\":\"1235\""},
                new String[] {"\"shape\":[2,3]", "\"shape\":[3,2]"},
                new String[] {"seed=7", "seed=8"});
        for (String[] edit : edits) {
            assertThat(original).contains(edit[0]);
            Path file = write("edited", original.replace(edit[0], edit[1]).getBytes(StandardCharsets.ISO_8859_1));
            try (Arena arena = Arena.ofConfined()) {
                assertThatThrownBy(() -> CheckpointFile.read(file, arena)).as(edit[1])
                        .isInstanceOf(CheckpointFormatException.class)
                        .hasMessageContaining("at byte offset 8: the header's CRC32C is")
                        .hasMessageContaining("as recorded in zbmd.header_crc32c");
            }
        }
    }

    @Test
    void aSafetensorsFileWithoutZbmdMetadataIsNotACheckpoint() throws IOException {
        Path file = write("weights.safetensors", safetensorsFile(Map.of("w", TensorData.ofFloats(new float[] {1}, 1)),
                Map.of("format", "pt")));
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> CheckpointFile.read(file, arena)).isInstanceOf(CheckpointFormatException.class)
                    .hasMessageContaining("not a zbmd checkpoint");
        }
    }

    @Test
    void anotherFormatVersionAMissingKeyOrAForeignKeyIsRejected() throws IOException {
        Map<String, TensorData> tensors = Map.of("w", TensorData.ofFloats(new float[] {1}, 1));
        Map<String, String> valid = new LinkedHashMap<>(Map.of("format", "pt", "zbmd.checkpoint_format", "1",
                "zbmd.version", "x", "zbmd.step", "3", "zbmd.config", "", "zbmd.rng_state", "", "zbmd.data_position", "",
                "crc32c.w", String.format("%08x", tensors.get("w").crc32c())));
        Map<String, Map<String, String>> cases = new LinkedHashMap<>();
        cases.put("expected \"1\", the only checkpoint format", with(valid, "zbmd.checkpoint_format", "2"));
        cases.put("no metadata key zbmd.rng_state", with(valid, "zbmd.rng_state", null));
        cases.put("metadata crc32c.w is missing", with(valid, "crc32c.w", null));
        cases.put("metadata crc32c.w is \"ABCDEF01\"", with(valid, "crc32c.w", "ABCDEF01"));
        cases.put("unexpected metadata key 'crc32c.gone' (a checksum for a tensor the file does not have)",
                with(valid, "crc32c.gone", "00000000"));
        cases.put("unexpected metadata key 'extra'", with(valid, "extra", "1"));
        cases.put("zbmd.step is \"-3\"; expected a decimal step", with(valid, "zbmd.step", "-3"));
        cases.put("zbmd.step is \"99999999999999999999\"", with(valid, "zbmd.step", "99999999999999999999"));
        for (Map.Entry<String, Map<String, String>> c : cases.entrySet()) {
            Map<String, String> metadata = new LinkedHashMap<>(c.getValue());
            Map<String, TensorSpec> specs = Map.of("w", tensors.get("w").spec());
            metadata.put("zbmd.header_crc32c", String.format("%08x", CheckpointFile.headerCrc32c(specs, metadata)));
            Path file = write("case", safetensorsFile(tensors, metadata));
            try (Arena arena = Arena.ofConfined()) {
                assertThatThrownBy(() -> CheckpointFile.read(file, arena)).as(c.getKey())
                        .isInstanceOf(CheckpointFormatException.class).hasMessageContaining(c.getKey());
            }
        }
        // The same metadata, untouched, reads: the cases above fail for their one change only.
        Map<String, String> metadata = new LinkedHashMap<>(valid);
        metadata.put("zbmd.header_crc32c", String.format("%08x",
                CheckpointFile.headerCrc32c(Map.of("w", tensors.get("w").spec()), metadata)));
        try (Arena arena = Arena.ofConfined()) {
            assertThat(CheckpointFile.read(write("valid", safetensorsFile(tensors, metadata)), arena).step()).isEqualTo(3);
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> changed = new LinkedHashMap<>(base);
        if (value == null) {
            changed.remove(key);
        } else {
            changed.put(key, value);
        }
        return changed;
    }

    @Test
    void theBuilderRefusesNamesThatWouldBeAmbiguousInTheFile() {
        TensorData one = TensorData.ofFloats(new float[] {1}, 1);
        assertThatThrownBy(() -> Checkpoint.builder(1).modelTensor("optimizer.lr", one))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserve");
        assertThatThrownBy(() -> Checkpoint.builder(1).modelTensor("a", one).modelTensor("a", one))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already added");
        assertThatThrownBy(() -> Checkpoint.builder(1).optimizerTensor("", one))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.builder(1).modelTensor("__metadata__", one))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.builder(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void anIncompatibleModelIsToldEveryMissingUnexpectedAndMismatchingTensorWithShapes() {
        try (CpuBackend backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(4L << 20));
                TensorScope scope = TensorScope.create(backend)) {
            Sequential saved;
            Sequential wider;
            Sequential shallower;
            try (var ignored = scope.enter()) {
                saved = new Sequential(new Linear(4, 8, true, new SplittableRandom(1)), new ReLU(),
                        new Linear(8, 2, true, new SplittableRandom(2)));
                wider = new Sequential(new Linear(4, 16, true, new SplittableRandom(1)), new ReLU(),
                        new Linear(16, 2, true, new SplittableRandom(2)));
                shallower = new Sequential(new Linear(4, 8, false, new SplittableRandom(1)));
            }
            Checkpoint.Builder builder = Checkpoint.builder(10);
            saved.stateDict().forEach((name, t) -> builder.modelTensor(name, TensorData.ofFloats(t.toFloatArray(),
                    t.shape())));
            Checkpoint checkpoint = builder.build();

            checkpoint.verifyCompatible(TensorSpec.ofAll(saved.stateDict()));

            IncompatibleCheckpointException e = catchThrowableOfType(IncompatibleCheckpointException.class,
                    () -> checkpoint.verifyCompatible(TensorSpec.ofAll(wider.stateDict())));
            assertThat(e.missing()).isEmpty();
            assertThat(e.unexpected()).isEmpty();
            assertThat(e.getMessage()).contains("checkpoint of step 10 does not fit the model: 0 missing, 0 unexpected, "
                    + "3 mismatching", "0.weight: checkpoint F32 [8, 4], model F32 [16, 4]",
                    "0.bias: checkpoint F32 [8], model F32 [16]", "2.weight: checkpoint F32 [2, 8], model F32 [2, 16]");

            e = catchThrowableOfType(IncompatibleCheckpointException.class,
                    () -> checkpoint.verifyCompatible(TensorSpec.ofAll(shallower.stateDict())));
            assertThat(e.getMessage()).contains("0 missing, 3 unexpected, 0 mismatching",
                    "unexpected (in the checkpoint, not in the model):", "0.bias F32 [8]", "2.weight F32 [2, 8]",
                    "2.bias F32 [2]");

            Map<String, TensorSpec> renamed = new LinkedHashMap<>(TensorSpec.ofAll(saved.stateDict()));
            renamed.put("encoder.0.weight", renamed.remove("0.weight"));
            renamed.put("2.bias", TensorSpec.of(SafetensorsDType.BF16, 2));
            e = catchThrowableOfType(IncompatibleCheckpointException.class,
                    () -> checkpoint.verifyCompatible(renamed));
            assertThat(e.missing()).containsExactly("encoder.0.weight F32 [8, 4]");
            assertThat(e.unexpected()).containsExactly("0.weight F32 [8, 4]");
            assertThat(e.mismatched()).extracting(Object::toString)
                    .containsExactly("2.bias: checkpoint F32 [2], model BF16 [2]");
        }
    }
}
