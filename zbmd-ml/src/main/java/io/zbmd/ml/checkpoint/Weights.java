package io.zbmd.ml.checkpoint;

import io.zbmd.ml.checkpoint.IncompatibleCheckpointException.Mismatch;
import io.zbmd.ml.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A model's weights alone, as PyTorch and the Hugging Face libraries keep them: a safetensors
 * {@code state_dict} with no training state. {@link #load} reads one written by
 * {@code safetensors.torch.save_file(model.state_dict(), ...)} (no zbmd metadata needed; F32,
 * F16 or BF16, widened to float exactly; PyTorch's {@code num_batches_tracked} counters and
 * a zbmd checkpoint's optimizer tensors passed over) into a model's state dict; {@link #save}
 * writes one that {@code safetensors.torch.load_file} reads back into the same PyTorch model.
 */
public final class Weights {
    /** PyTorch's batch-norm step counters, which zbmd's batch norm does not keep. */
    static final String NUM_BATCHES_TRACKED = "num_batches_tracked";
    /** What {@link TensorData#toFloatArray()} widens exactly. */
    private static final Set<SafetensorsDType> FLOATS = EnumSet.of(SafetensorsDType.F32, SafetensorsDType.F16,
            SafetensorsDType.BF16);

    private Weights() {}

    /**
     * What a load found, tensor by tensor.
     *
     * @param file the file read
     * @param loaded the names whose values were copied into the model
     * @param missing "name spec" of each model tensor the file lacks
     * @param unexpected "name spec" of each file tensor the model lacks
     * @param mismatched each tensor both have with another shape or a dtype that is not a float
     * @param ignored file tensors passed over on purpose ({@code num_batches_tracked}, a zbmd
     *     checkpoint's optimizer state)
     */
    public record LoadReport(Path file, List<String> loaded, List<String> missing, List<String> unexpected,
            List<Mismatch> mismatched, List<String> ignored) {
        /** Copies the lists. */
        public LoadReport {
            loaded = List.copyOf(loaded);
            missing = List.copyOf(missing);
            unexpected = List.copyOf(unexpected);
            mismatched = List.copyOf(mismatched);
            ignored = List.copyOf(ignored);
        }

        /** @return whether every model tensor was loaded and nothing else was found */
        public boolean complete() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
        }
    }

    /**
     * Copies a safetensors file's tensors into the model tensors of the same names.
     *
     * @param file a safetensors file: PyTorch's {@code state_dict}, or a zbmd checkpoint
     * @param stateDict the model's tensors by name ({@code Module.stateDict()})
     * @param strict whether every model tensor must be in the file with its shape, and nothing
     *     else (but the ignored ones): if not, nothing is changed and an
     *     {@link IncompatibleCheckpointException} lists every difference; if not strict, what
     *     fits is loaded and the report says what was not
     * @return what was loaded and what was not
     * @throws IOException if the file cannot be read
     * @throws CheckpointFormatException if it is not a valid safetensors file
     * @throws IncompatibleCheckpointException in strict mode, if the file does not fit the model
     */
    public static LoadReport load(Path file, Map<String, Tensor> stateDict, boolean strict) throws IOException {
        Objects.requireNonNull(stateDict, "stateDict");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, TensorData> stored = SafetensorsReader.withDefaults().read(file, arena).tensors();
            List<String> loaded = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            List<String> unexpected = new ArrayList<>();
            List<Mismatch> mismatched = new ArrayList<>();
            List<String> ignored = new ArrayList<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            stateDict.forEach((name, tensor) -> {
                TensorData data = stored.get(name);
                TensorSpec expected = new TensorSpec(SafetensorsDType.F32, tensor.shape());
                if (data == null) {
                    missing.add(name + " " + expected);
                } else if (!FLOATS.contains(data.dtype()) || !Arrays.equals(data.shape(), tensor.shape())) {
                    mismatched.add(new Mismatch(name, data.spec(), expected));
                } else {
                    values.put(name, data.toFloatArray());
                }
            });
            stored.forEach((name, data) -> {
                if (!stateDict.containsKey(name)) {
                    if (name.endsWith("." + NUM_BATCHES_TRACKED) || name.equals(NUM_BATCHES_TRACKED)
                            || name.startsWith(Checkpoint.OPTIMIZER_PREFIX)) {
                        ignored.add(name);
                    } else {
                        unexpected.add(name + " " + data.spec());
                    }
                }
            });
            if (strict && (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty())) {
                throw new IncompatibleCheckpointException("weights file " + file, missing, unexpected, mismatched);
            }
            values.forEach((name, floats) -> {
                stateDict.get(name).copyFrom(floats);
                loaded.add(name);
            });
            return new LoadReport(file, loaded, missing, unexpected, mismatched, ignored);
        }
    }

    /**
     * Writes a model's tensors, float32, as a safetensors file PyTorch reads with
     * {@code load_file} (metadata {@code format: pt} only), atomically: a temporary file beside
     * it, forced to disk, renamed over {@code file}. PyTorch's batch-norm modules also keep a
     * {@code num_batches_tracked} counter, which zbmd's do not: load such a model with
     * {@code strict=False}, or add the counters from the PyTorch module's own state dict.
     *
     * @param stateDict the model's tensors by name ({@code Module.stateDict()})
     * @param file where to write
     * @throws IOException if it cannot be written (the temporary file is then removed)
     */
    public static void save(Map<String, Tensor> stateDict, Path file) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        stateDict.forEach((name, tensor) -> tensors.put(name, TensorData.ofFloats(tensor.toFloatArray(),
                tensor.shape())));
        Path absolute = file.toAbsolutePath();
        Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                SafetensorsWriter.write(channel, tensors, Map.of(CheckpointFile.FORMAT_KEY,
                        CheckpointFile.FORMAT_PYTORCH));
                channel.force(true);
            }
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }
}
