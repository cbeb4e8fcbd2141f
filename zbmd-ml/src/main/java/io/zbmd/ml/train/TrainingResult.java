package io.zbmd.ml.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How a run ended.
 *
 * @param testAccuracy fraction of the test set classified correctly; NaN when the targets are
 *     not class indices
 * @param testLoss the task's loss on the test set, averaged over its examples
 * @param finalLoss mean training loss over the last epoch's steps run in this process
 * @param steps steps completed in all (a resumed run counts those before it)
 * @param resumedFromStep the step a checkpoint put the run at; 0 if it started fresh
 * @param stoppedEarly whether early stopping ended the run before its last epoch
 *     ({@link Validation}); {@code steps} is then where it stopped
 * @param elapsed wall time in this process
 * @param recoveries recovered failures by cause ({@code crash}, {@code device}, {@code oom},
 *     {@code timeout}, {@code error}), and {@code migration}: moves to another device after one was lost
 * @param checkpointsWritten checkpoints made durable by this process
 * @param lastCheckpoint the final checkpoint, if checkpoints were on
 * @param rejectedCheckpoints damaged checkpoint files passed over when resuming, with why
 * @param microBatches the most parts a batch was split into after out-of-memory errors (1:
 *     never split); a split is undone after some steps without one
 * @param mostStepFailures the most failures one step had before it committed (the run stops
 *     past {@link FailureLimits#failuresPerStep()}): how close the run came to giving up
 * @param fingerprint {@link TrainingState#fingerprint} of the trained model
 * @param timings what the supervision cost
 */
public record TrainingResult(double testAccuracy, double testLoss, double finalLoss, long steps, long resumedFromStep,
        boolean stoppedEarly, Duration elapsed,
        Map<String, Long> recoveries, int checkpointsWritten, Optional<Path> lastCheckpoint,
        List<String> rejectedCheckpoints, int microBatches, int mostStepFailures, String fingerprint, Timings timings) {

    /**
     * What supervision and checkpoints cost in this process.
     *
     * @param medianStep the median wall time of a step (all three stages and the commit)
     * @param recoveries how many stages completed after a crash of their actor
     * @param medianRecovery from an actor's crash to the completion of the stage it was
     *     handling (restart, then the stage's work again), median
     * @param maxRecovery the same, the longest
     * @param checkpoints checkpoints taken
     * @param medianCheckpointStall the training thread's time per checkpoint (the snapshot of
     *     the small state, and any wait for the previous copy), median
     * @param maxCheckpointStall the same, the longest
     * @param firstStep from the start of {@link Trainer#fit} to the first completed step
     *     (after a resume, the first step after it)
     */
    public record Timings(Duration medianStep, int recoveries, Duration medianRecovery, Duration maxRecovery,
            int checkpoints, Duration medianCheckpointStall, Duration maxCheckpointStall, Duration firstStep) {}


    /** Copies the collections. */
    public TrainingResult {
        java.util.Objects.requireNonNull(timings, "timings");
        recoveries = Collections.unmodifiableSortedMap(new TreeMap<>(recoveries));
        rejectedCheckpoints = List.copyOf(rejectedCheckpoints);
    }

    /** @return recoveries of every cause */
    public long totalRecoveries() {
        return recoveries.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * @param migrations moves to another device before this result's run
     * @param total wall time since the first device's run began
     * @return a copy counting them among the recoveries ({@code migration}), over that time
     */
    TrainingResult afterMigrations(long migrations, Duration total) {
        Map<String, Long> all = new TreeMap<>(recoveries);
        all.merge("migration", migrations, Long::sum);
        return new TrainingResult(testAccuracy, testLoss, finalLoss, steps, resumedFromStep, stoppedEarly, total,
                all, checkpointsWritten, lastCheckpoint, rejectedCheckpoints, microBatches, mostStepFailures,
                fingerprint, timings);
    }
}
