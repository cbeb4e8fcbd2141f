package io.zbmd.ml.train;

import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.checkpoint.Weights;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Optimizer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where a new run starts from instead of its model's fresh initialisation, recorded in its
 * {@link RunIdentity} as the run's parent (the file's name and SHA-256):
 * <ul>
 *   <li>{@link #weights}: the weights alone, from a safetensors {@code state_dict} (PyTorch's,
 *       F32, F16 or BF16) or a zbmd checkpoint; the optimizer starts fresh, the data at the
 *       first epoch. Fine-tuning.
 *   <li>{@link #run}: a run's whole training state from its checkpoint (weights, optimizer
 *       moments and per-parameter steps, dropout counts, data position): the new run continues
 *       it for its own epochs, with its own learning-rate schedule from the start. "Train N
 *       more epochs".
 * </ul>
 * Only a run that starts from nothing takes it: a run that resumes from its own checkpoints
 * takes up its own state (its identity names the same parent).
 *
 * @param file a weights file, or a checkpoint file or directory (its newest valid checkpoint)
 * @param trainingState whether the optimizer, random and data state come too
 */
public record InitFrom(Path file, boolean trainingState) {
    /** Checks for null. */
    public InitFrom {
        Objects.requireNonNull(file, "file");
    }

    /** @param file weights: a safetensors state_dict or a zbmd checkpoint @return where to start */
    public static InitFrom weights(Path file) {
        return new InitFrom(file, false);
    }

    /** @param checkpoint a run's checkpoint file, or its directory @return where to continue from */
    public static InitFrom run(Path checkpoint) {
        return new InitFrom(checkpoint, true);
    }

    /** @return the file the state comes from: {@link #file()}, or a directory's newest valid checkpoint */
    Path source() throws IOException {
        if (!Files.isDirectory(file)) {
            return file;
        }
        try (Recovery recovery = CheckpointStore.open(file, Integer.MAX_VALUE).latestValid()) {
            return recovery.file().orElseThrow(() -> new IOException("no valid checkpoint in " + file));
        }
    }

    /**
     * @return what the run's identity records: "weights|run name@sha256:16 hex digits"
     * @throws IOException if the file cannot be read
     */
    String describe() throws IOException {
        Path source = source();
        if (!Files.isRegularFile(source)) {
            throw new IOException(source + " is not a regular file");
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(source)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return (trainingState ? "run " : "weights ") + source.getFileName() + "@sha256:"
                + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    }

    /**
     * Puts the state into a model, its optimizer and its loader, everything checked first.
     * With the training state, the optimizer's step count starts again at 0 (the new run's
     * schedule and steps count from its start; Adam's per-parameter steps, which its bias
     * correction reads, go on).
     *
     * @throws IOException if the file cannot be read
     * @throws io.zbmd.ml.checkpoint.IncompatibleCheckpointException if it does not fit the model
     * @throws IncompatibleRunException if its training state does not fit the optimizer or data
     */
    void apply(Module model, Optimizer optimizer, DataLoader loader) throws IOException {
        Path source = source();
        if (!trainingState) {
            Weights.load(source, model.stateDict(), true);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint checkpoint = CheckpointFile.read(source, arena);
            try {
                TrainingState.restore(checkpoint, model, optimizer, loader);
            } catch (IllegalArgumentException e) {
                throw new IncompatibleRunException("cannot continue from " + source + ": " + e.getMessage());
            }
            optimizer.steps(0);
        }
    }
}
