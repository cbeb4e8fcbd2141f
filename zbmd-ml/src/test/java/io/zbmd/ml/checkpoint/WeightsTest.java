package io.zbmd.ml.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.nn.Layers.BatchNorm;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Weights}: a model's weights alone, saved and loaded back; files as PyTorch writes
 * them (no zbmd metadata, F16 and BF16 widened, {@code num_batches_tracked} passed over);
 * strict loads that refuse with every difference and change nothing; partial loads that report.
 */
class WeightsTest {
    @TempDir
    Path dir;

    private CpuBackend cpu;
    private TensorScope scope;

    @BeforeEach
    void start() {
        cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(16L << 20)
                .withGemm(CpuConfig.Gemm.JAVA));
        scope = TensorScope.create(cpu);
    }

    @AfterEach
    void stop() {
        scope.close();
        cpu.close();
    }

    private Module model(long seed, int hidden) {
        try (var ignored = scope.enter()) {
            SplittableRandom init = new SplittableRandom(seed);
            return new Sequential(new Linear(3, hidden, true, init), new BatchNorm(hidden, 0.1f, 1e-5f),
                    new Linear(hidden, 2, true, init));
        }
    }

    private static Map<String, float[]> values(Module model) {
        Map<String, float[]> values = new LinkedHashMap<>();
        model.stateDict().forEach((name, tensor) -> values.put(name, tensor.toFloatArray()));
        return values;
    }

    /** Writes tensors as a bare safetensors file, as PyTorch's save_file does. */
    private Path file(String name, Map<String, TensorData> tensors) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            SafetensorsWriter.write(channel, tensors, Map.of("format", "pt"));
        }
        return file;
    }

    @Test
    void savedWeightsLoadBackIntoAnotherModelExactly() throws IOException {
        Module source = model(1, 4);
        Module target = model(2, 4);
        Path file = dir.resolve("weights.safetensors");
        Weights.save(source.stateDict(), file);
        Weights.LoadReport report = Weights.load(file, target.stateDict(), true);
        assertThat(report.complete()).isTrue();
        assertThat(report.loaded()).containsExactlyElementsOf(source.stateDict().keySet());
        Map<String, float[]> expected = values(source);
        values(target).forEach((name, actual) -> assertThat(actual).as(name).containsExactly(expected.get(name)));
        assertThat(dir.resolve("weights.safetensors.tmp")).doesNotExist();
    }

    @Test
    void halfPrecisionIsWidenedAndPyTorchsCountersArePassedOver() throws IOException {
        Module target = model(2, 4);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, float[]> expected = new LinkedHashMap<>();
        int k = 0;
        for (var entry : target.stateDict().entrySet()) {
            int[] shape = entry.getValue().shape();
            int count = entry.getValue().toFloatArray().length;
            float[] values = new float[count];
            byte[] bytes = new byte[2 * count];
            for (int i = 0; i < count; i++) {
                values[i] = (i % 7 - 3) * 0.25f + k; // exact in both F16 and BF16
                short bits = k % 2 == 0 ? Float.floatToFloat16(values[i])
                        : (short) (Float.floatToRawIntBits(values[i]) >>> 16);
                bytes[2 * i] = (byte) bits;
                bytes[2 * i + 1] = (byte) (bits >> 8);
            }
            tensors.put(entry.getKey(), TensorData.ofBytes(k % 2 == 0 ? SafetensorsDType.F16 : SafetensorsDType.BF16,
                    bytes, shape));
            expected.put(entry.getKey(), values);
            k++;
        }
        tensors.put("1.num_batches_tracked", TensorData.ofLongs(new long[] {300}));
        Weights.LoadReport report = Weights.load(file("half.safetensors", tensors), target.stateDict(), true);
        assertThat(report.ignored()).containsExactly("1.num_batches_tracked");
        values(target).forEach((name, actual) -> assertThat(actual).as(name).containsExactly(expected.get(name)));
    }

    @Test
    void aStrictLoadOfAnotherModelsWeightsNamesEveryDifferenceAndChangesNothing() throws IOException {
        Path file = dir.resolve("wide.safetensors");
        Weights.save(model(1, 8).stateDict(), file);
        Module target = model(2, 4);
        Map<String, float[]> before = values(target);
        assertThatThrownBy(() -> Weights.load(file, target.stateDict(), true))
                .isInstanceOf(IncompatibleCheckpointException.class)
                .hasMessageContaining("weights file " + file)
                .hasMessageContaining("0.weight: checkpoint F32 [8, 3], model F32 [4, 3]")
                .hasMessageContaining("2.weight: checkpoint F32 [2, 8], model F32 [2, 4]");
        values(target).forEach((name, actual) -> assertThat(actual).as(name).containsExactly(before.get(name)));

        Weights.LoadReport partial = Weights.load(file, target.stateDict(), false);
        assertThat(partial.complete()).isFalse();
        assertThat(partial.loaded()).containsExactly("2.bias");
        assertThat(partial.mismatched()).extracting(IncompatibleCheckpointException.Mismatch::name)
                .containsExactly("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                        "2.weight");
    }

    @Test
    void aFileThatIsNotRegularIsRefusedAtOnce() throws IOException, InterruptedException {
        Path fifo = dir.resolve("fifo.safetensors");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> Weights.load(fifo, model(1, 4).stateDict(), true))
                .isInstanceOf(CheckpointFormatException.class).hasMessageContaining("is not a regular file");
        assertThat(Files.exists(fifo)).isTrue();
    }
}
