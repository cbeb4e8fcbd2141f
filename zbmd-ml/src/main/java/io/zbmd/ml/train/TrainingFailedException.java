package io.zbmd.ml.train;

/**
 * A training run stopped because a step kept failing (its actors' supervisor gave up, or the
 * step failed more times than allowed), or a checkpoint could not be written. The checkpoints
 * already durable stay; running the same command again resumes from the newest.
 */
public final class TrainingFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, at which step, and what to do
     * @param cause the last failure
     */
    public TrainingFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
