package io.zbmd.ml.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/**
 * How a run ended.
 *
 * @param testAccuracy fraction of the test set classified correctly
 * @param finalLoss mean training loss over the last epoch's steps run in this process
 * @param steps steps completed in all (a resumed run counts those before it)
 * @param resumedFromStep the step a checkpoint put the run at; 0 if it started fresh
 * @param elapsed wall time in this process
 * @param recoveries recovered failures by cause ({@code crash}, {@code device}, {@code oom},
 *     {@code timeout}, {@code error})
 * @param checkpointsWritten checkpoints made durable by this process
 * @param lastCheckpoint the final checkpoint, if checkpoints were on
 * @param rejectedCheckpoints damaged checkpoint files passed over when resuming, with why
 * @param microBatches the most parts a batch was split into after out-of-memory errors (1:
 *     never split); a split is undone after some steps without one
 * @param fingerprint {@link TrainingState#fingerprint} of the trained model
 */
public record TrainingResult(double testAccuracy, double finalLoss, long steps, long resumedFromStep, Duration elapsed,
        Map<String, Long> recoveries, int checkpointsWritten, Optional<Path> lastCheckpoint,
        List<String> rejectedCheckpoints, int microBatches, String fingerprint) {

    /** Copies the collections. */
    public TrainingResult {
        recoveries = Collections.unmodifiableSortedMap(new TreeMap<>(recoveries));
        rejectedCheckpoints = List.copyOf(rejectedCheckpoints);
    }

    /** @return recoveries of every cause */
    public long totalRecoveries() {
        return recoveries.values().stream().mapToLong(Long::longValue).sum();
    }
}
