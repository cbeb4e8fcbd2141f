package io.zbmd.examples.ml;

import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/** A {@code --checkpoint D|FILE} argument: a run's directory (its newest valid checkpoint) or one file. */
final class CheckpointArgument {
    private CheckpointArgument() {}

    /**
     * @param checkpoint a checkpoint directory or file
     * @param arena holds the checkpoint's tensors
     * @param passedOver told of each invalid checkpoint a directory's search passed over
     * @return the checkpoint, or empty if a directory holds no valid one
     * @throws IOException if it cannot be read (a missing path included)
     */
    static Optional<Checkpoint> read(Path checkpoint, Arena arena, Consumer<String> passedOver) throws IOException {
        if (Files.isDirectory(checkpoint)) {
            try (Recovery recovery = CheckpointStore.open(checkpoint, Integer.MAX_VALUE).latestValid()) {
                recovery.rejected().forEach(r -> passedOver.accept(String.valueOf(r)));
                Optional<Path> file = recovery.file();
                return file.isPresent() ? Optional.of(CheckpointFile.read(file.get(), arena)) : Optional.empty();
            }
        }
        if (!Files.exists(checkpoint)) {
            throw new IOException("no such file or directory");
        }
        return Optional.of(CheckpointFile.read(checkpoint, arena));
    }

    /** @return where a checkpoint was read from, for messages */
    static String source(Checkpoint loaded) {
        return loaded.source().map(Path::toString).orElse("the checkpoint");
    }
}
