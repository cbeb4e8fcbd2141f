package io.zbmd.ml.train;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a training run reports while it runs: progress, recoveries, checkpoints. Called from
 * the run's metrics actor, never from the training thread, so a slow listener (a terminal)
 * does not slow training. Every method has an empty default.
 */
public interface TrainingListener {

    /** A listener that ignores everything. */
    TrainingListener NONE = new TrainingListener() {};

    /**
     * The run starts.
     *
     * @param startStep steps already done (from a checkpoint), else 0
     * @param totalSteps steps the run will have done at the end
     * @param stepsPerEpoch steps in one epoch
     * @param description model, data, device and config in words
     */
    default void started(long startStep, long totalSteps, long stepsPerEpoch, String description) {}

    /**
     * A step completed.
     *
     * @param progress where the run is
     */
    default void stepped(Progress progress) {}

    /**
     * An epoch completed.
     *
     * @param epoch 1-based
     * @param meanLoss mean training loss over the epoch's steps run in this process
     * @param took the epoch's wall time in this process
     */
    default void epochEnded(int epoch, double meanLoss, Duration took) {}

    /**
     * The run was measured on its validation data ({@link TrainerConfig#withValidation}).
     *
     * @param epoch the epochs completed, 1 or more
     * @param loss the task's loss on the validation set
     * @param accuracy the fraction classified correctly; NaN when the targets are not classes
     * @param stopping whether early stopping ends the run here
     */
    default void validated(int epoch, double loss, double accuracy, boolean stopping) {}

    /**
     * A part of the run failed and was recovered.
     *
     * @param cause {@code crash}, {@code device}, {@code oom}, {@code timeout} or {@code error};
     *     {@code migration} when the run moved to another device after its own was lost
     * @param step the step that was retried (for a migration, the steps completed before it)
     * @param detail what happened
     */
    default void recovered(String cause, long step, String detail) {}

    /**
     * A checkpoint became durable.
     *
     * @param step its step
     * @param file the file
     * @param took from the start of the copy to the directory's fsync
     */
    default void checkpointed(long step, Path file, Duration took) {}

    /**
     * Where a run is after a step.
     *
     * @param step steps completed
     * @param totalSteps steps at the end
     * @param epoch 1-based epoch of the step
     * @param loss the step's loss
     * @param samplesPerSecond over the run so far in this process
     * @param elapsed since the run started in this process
     */
    record Progress(long step, long totalSteps, int epoch, double loss, double samplesPerSecond, Duration elapsed) {
        /** @return the estimated time left at the current speed */
        public Duration eta() {
            long done = Math.max(1, step);
            return Duration.ofNanos((long) ((double) elapsed.toNanos() / done * Math.max(0, totalSteps - step)));
        }
    }
}
