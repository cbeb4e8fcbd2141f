package io.zbmd.ml.train;

/**
 * A checkpoint directory holds a checkpoint of another run: the same model, other settings
 * (epochs, batch size, learning rate, seed, thread count). Resuming it would give weights
 * that neither run would have had; use another directory, or the first run's settings.
 */
public final class IncompatibleRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message both configs, and what to do */
    public IncompatibleRunException(String message) {
        super(message);
    }
}
