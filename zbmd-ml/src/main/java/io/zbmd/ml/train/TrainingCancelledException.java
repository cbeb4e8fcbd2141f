package io.zbmd.ml.train;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * A run stopped because its caller cancelled it ({@link TrainingJob#cancel()}): it stopped at
 * a step boundary, and if it checkpoints, after a checkpoint of that step was durable, from
 * which the same command or call resumes. A {@link CancellationException}, so that the job's
 * future reports {@link java.util.concurrent.CompletableFuture#isCancelled() isCancelled()}.
 */
public final class TrainingCancelledException extends CancellationException {
    private static final long serialVersionUID = 1L;

    private final long step;
    private final transient Path checkpoint;

    /**
     * @param step the steps completed when it stopped
     * @param checkpoint the checkpoint of that step; null if the run does not checkpoint
     */
    public TrainingCancelledException(long step, Path checkpoint) {
        super("training cancelled after step " + step + (checkpoint == null ? " (no checkpoints: the progress is"
                + " lost)" : "; its checkpoint " + checkpoint + " resumes it"));
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /** @return the steps completed when the run stopped */
    public long step() {
        return step;
    }

    /** @return the checkpoint of that step, if the run checkpoints */
    public Optional<Path> checkpoint() {
        return Optional.ofNullable(checkpoint);
    }
}
