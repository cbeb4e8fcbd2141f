package io.zbmd.ml.train;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A training run started by {@link Trainer#start}: its result to come, and a way to stop it.
 * Thread-safe.
 */
public final class TrainingJob {
    private final CompletableFuture<TrainingResult> result = new CompletableFuture<>();
    private final AtomicReference<TrainingRun> run = new AtomicReference<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();

    TrainingJob() {
        // Cancelling the future itself cancels the run too.
        result.whenComplete((value, error) -> {
            if (result.isCancelled()) {
                cancel();
            }
        });
    }

    /**
     * @return completes with the run's result; or with a {@link TrainingFailedException}, an
     *     {@link java.io.IOException} or {@link IncompatibleRunException} as {@link Trainer#fit}
     *     throws them; or, once cancelled, with a {@link TrainingCancelledException}
     */
    public CompletableFuture<TrainingResult> result() {
        return result;
    }

    /**
     * Stops the run at its next step boundary, after a checkpoint of that step (when it
     * checkpoints) is durable; {@link #result()} then completes with a
     * {@link TrainingCancelledException}. Does nothing once the run has ended. A run cancelled
     * before its actors started stops before its first step.
     */
    public void cancel() {
        cancelled.set(true);
        TrainingRun started = run.get();
        if (started != null) {
            started.cancel();
        }
    }

    /** Called by the trainer once the run's actors are up. */
    void started(TrainingRun value) {
        run.set(value);
        if (cancelled.get()) {
            value.cancel();
        }
    }

    void complete(TrainingResult value) {
        result.complete(value);
    }

    void fail(Throwable error) {
        result.completeExceptionally(error);
    }
}
