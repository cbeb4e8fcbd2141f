package io.zbmd.ml.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link CheckpointStore#latestValid()} found: the newest checkpoint that passed every
 * check, if any, and each newer one that did not, with the reason. Owns the memory of the
 * checkpoint's tensors: {@link #close()} frees it, after which the tensors must not be used
 * (copy them into the model and optimizer first).
 *
 * <p>Not thread-safe to close while another thread reads the tensors; otherwise immutable.
 */
public final class Recovery implements AutoCloseable {
    /**
     * A checkpoint file that was skipped.
     *
     * @param file the file
     * @param reason why: a {@link CheckpointFormatException} for a damaged file (truncated,
     *     corrupt, checksum mismatch), another {@link IOException} for one that could not be read
     */
    public record Rejected(Path file, IOException reason) {
        /** Checks the arguments. */
        public Rejected {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return file + " rejected: " + reason.getMessage();
        }
    }

    private final Checkpoint checkpoint;
    private final List<Rejected> rejected;
    private final Arena arena;

    Recovery(Checkpoint checkpoint, List<Rejected> rejected, Arena arena) {
        this.checkpoint = checkpoint;
        this.rejected = List.copyOf(rejected);
        this.arena = arena;
    }

    /** @return the newest valid checkpoint, or empty if the store has none */
    public Optional<Checkpoint> checkpoint() {
        return Optional.ofNullable(checkpoint);
    }

    /** @return the file of the newest valid checkpoint, or empty if the store has none */
    public Optional<Path> file() {
        return checkpoint().flatMap(Checkpoint::source);
    }

    /** @return the newer files that were skipped, newest first; empty when the newest was valid */
    public List<Rejected> rejected() {
        return rejected;
    }

    /** Frees the checkpoint's tensor memory. A second call does nothing. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "Recovery[" + (checkpoint == null ? "no valid checkpoint" : checkpoint.toString()) + ", "
                + rejected.size() + " rejected]";
    }
}
