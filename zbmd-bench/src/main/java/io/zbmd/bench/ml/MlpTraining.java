package io.zbmd.bench.ml;

/**
 * One peer's MLP 784-256-128-10 with its Adam optimizer, ready to train on one fixed batch.
 * A step is forward, cross-entropy loss, zeroed gradients, backward and optimizer update.
 * Not thread-safe: one thread steps it.
 */
interface MlpTraining extends AutoCloseable {
    /** The MLP's seed: both peers start from the weights zbmd makes from it. */
    long MODEL_SEED = 42;

    /** Adam's fixed learning rate. */
    double LEARNING_RATE = 1e-3;

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
