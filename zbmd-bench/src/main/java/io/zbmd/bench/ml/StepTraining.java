package io.zbmd.bench.ml;

/**
 * One peer's model with its Adam optimizer, ready to train on one fixed batch. A step is
 * forward, cross-entropy loss, zeroed gradients, backward and optimizer update. Not
 * thread-safe: one thread steps it.
 */
interface StepTraining extends AutoCloseable {
    /**
     * Trains one step on the batch.
     *
     * @return the step's loss (before the update)
     */
    float step();

    /** @return what computes the steps, in words (library, threads, kernels) */
    String describe();

    /** Releases the model, optimizer state and native memory. */
    @Override
    void close();
}
