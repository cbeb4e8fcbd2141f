package io.zbmd.ml.checkpoint;

import static io.zbmd.ml.checkpoint.CheckpointTestFiles.randomBytes;
import static io.zbmd.ml.checkpoint.CheckpointTestFiles.safetensorsFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.testing.Seeds;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** What is written is read back exactly: every dtype, scalars, empty tensors, odd names. */
class CheckpointSafetensorsRoundTripTest {
    @TempDir
    Path directory;

    @ParameterizedTest(name = "{0}")
    @EnumSource(SafetensorsDType.class)
    void everyDtypeRoundTripsByteForByteIncludingScalarAndEmptyTensors(SafetensorsDType dtype) throws IOException {
        SplittableRandom random = new SplittableRandom(dtype.ordinal());
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        int[][] shapes = {{}, {0}, {3, 0, 2}, {5}, {2, 3}, {1, 2, 1, 3}};
        for (int i = 0; i < shapes.length; i++) {
            int bytes = (int) new TensorSpec(dtype, shapes[i]).byteCount();
            tensors.put("t" + i, TensorData.ofBytes(dtype, randomBytes(random, bytes), shapes[i]));
        }
        Path file = Files.write(directory.resolve(dtype + ".safetensors"), safetensorsFile(tensors, Map.of("k", "v")));

        try (Arena arena = Arena.ofConfined()) {
            SafetensorsReader.Contents read = SafetensorsReader.withDefaults().read(file, arena);
            assertThat(read.tensors().keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            tensors.forEach((name, written) -> {
                TensorData back = read.tensors().get(name);
                assertThat(back.spec()).as(name).isEqualTo(written.spec());
                assertThat(back.toByteArray()).as(name).isEqualTo(written.toByteArray());
            });
            assertThat(read.header().metadata()).containsExactly(Map.entry("k", "v"));
            assertThat(read.header().fileBytes()).isEqualTo(Files.size(file));
        }
    }

    @Test
    void typedValuesConvertExactly() {
        float[] floats = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.NaN};
        assertThat(TensorData.ofFloats(floats, floats.length).toFloatArray()).containsExactly(floats);
        long[] longs = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        assertThat(TensorData.ofLongs(longs, 2, 2).toLongArray()).containsExactly(longs);
        int[] ints = {Integer.MIN_VALUE, 7, Integer.MAX_VALUE};
        assertThat(TensorData.ofInts(ints, 3).toIntArray()).containsExactly(ints);
        // 1.0 and -2.0 in bfloat16 (0x3F80, 0xC000) and float16 (0x3C00, 0xC000), little-endian.
        assertThat(TensorData.ofBytes(SafetensorsDType.BF16, new byte[] {(byte) 0x80, 0x3F, 0, (byte) 0xC0}, 2)
                .toFloatArray()).containsExactly(1f, -2f);
        assertThat(TensorData.ofBytes(SafetensorsDType.F16, new byte[] {0, 0x3C, 0, (byte) 0xC0}, 2).toFloatArray())
                .containsExactly(1f, -2f);
    }

    @Test
    void tensorDataChecksItsArguments() {
        assertThatThrownBy(() -> TensorData.ofFloats(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 values do not fill a tensor of shape F32 [2, 3] (6 elements)");
        assertThatThrownBy(() -> TensorData.ofBytes(SafetensorsDType.I64, new byte[7], 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes 8 bytes, got a segment of 7");
        assertThatThrownBy(() -> TensorSpec.of(SafetensorsDType.F32, 2, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> TensorData.ofInts(new int[1], 1).toFloatArray())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("I32 [1]");
    }

    @Test
    void theWriterRefusesWhatNoReaderCouldRead() {
        TensorData one = TensorData.ofFloats(new float[] {1}, 1);
        assertThatThrownBy(() -> safetensorsFile(Map.of("__metadata__", one), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserves");
        assertThatThrownBy(() -> safetensorsFile(Map.of("bad\uD800", one), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> safetensorsFile(Map.of(), Map.of("k", "x".repeat(100_000_001))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100000000");
    }

    static Stream<Long> seeds() {
        return Seeds.of(100);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomCheckpointsRoundTrip(long seed) throws IOException {
        Checkpoint written = CheckpointTestFiles.randomCheckpoint(new SplittableRandom(seed));
        Path file = Files.write(directory.resolve("c"), CheckpointTestFiles.checkpointFile(written));

        try (Arena arena = Arena.ofConfined()) {
            Checkpoint read = CheckpointFile.read(file, arena);
            assertThat(read.contentEquals(written)).as(Seeds.replay(seed)).isTrue();
            assertThat(read.source()).contains(file);
        }
    }
}
