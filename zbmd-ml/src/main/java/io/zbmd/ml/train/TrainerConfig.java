package io.zbmd.ml.train;

import io.micrometer.core.instrument.MeterRegistry;
import io.zbmd.ml.data.DataLoaderConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How {@link Trainer#fit} trains: Adam with a cosine decay of the learning rate to zero over
 * the run, cross-entropy with optional label smoothing, batches from a seeded loader.
 *
 * @param loader batch size, shuffle seed, standardization
 * @param epochs passes over the training set
 * @param learningRate Adam's initial learning rate
 * @param labelSmoothing softens the one-hot targets (0 for none)
 * @param checkpointDirectory where checkpoints go and a run resumes from; null for none
 * @param checkpointEvery steps between checkpoints (0: only the final one)
 * @param keepCheckpoints how many checkpoints to keep
 * @param faults faults to inject
 * @param stepTimeout the longest a stage of a step may take before it is asked again (the
 *     trainer shortens it to 20 times the slowest stage seen, but not under 1 s)
 * @param maxAttempts how often one step may fail before the run stops
 * @param runConfig what else defines the run (model, thread count), recorded in checkpoints:
 *     a checkpoint directory resumes only a run with the same config
 * @param listener progress, recoveries, checkpoints
 * @param meterRegistry where the run's Micrometer meters go (see {@code TrainingMetrics}); null
 *     for a private registry
 */
public record TrainerConfig(DataLoaderConfig loader, int epochs, double learningRate, float labelSmoothing,
        Path checkpointDirectory, int checkpointEvery, int keepCheckpoints, TrainingFaults faults,
        Duration stepTimeout, int maxAttempts, String runConfig, TrainingListener listener,
        MeterRegistry meterRegistry) {

    /** Checks the values. */
    public TrainerConfig {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(faults, "faults");
        Objects.requireNonNull(stepTimeout, "stepTimeout");
        Objects.requireNonNull(runConfig, "runConfig");
        Objects.requireNonNull(listener, "listener");
        if (epochs < 1 || !(learningRate > 0) || !(labelSmoothing >= 0 && labelSmoothing < 1) || checkpointEvery < 0
                || keepCheckpoints < 1 || maxAttempts < 1 || stepTimeout.isNegative() || stepTimeout.isZero()) {
            throw new IllegalArgumentException("trainer config out of range: epochs " + epochs + " (1 or more), lr "
                    + learningRate + " (positive), label smoothing " + labelSmoothing + " ([0, 1)), checkpoint every "
                    + checkpointEvery + " (0 or more), keep " + keepCheckpoints + " (1 or more), attempts "
                    + maxAttempts + " (1 or more), step timeout " + stepTimeout + " (positive)");
        }
    }

    /**
     * @param loader batch size, seed, standardization
     * @param epochs passes over the training set
     * @param learningRate Adam's initial learning rate
     * @return no checkpoints, no faults, a 60 s step timeout, 8 attempts per step
     */
    public static TrainerConfig of(DataLoaderConfig loader, int epochs, double learningRate) {
        return new TrainerConfig(loader, epochs, learningRate, 0f, null, 0, 3, TrainingFaults.NONE,
                Duration.ofSeconds(60), 8, "", TrainingListener.NONE, null);
    }

    /** @param value label smoothing @return a copy with it */
    public TrainerConfig withLabelSmoothing(float value) {
        return new TrainerConfig(loader, epochs, learningRate, value, checkpointDirectory, checkpointEvery,
                keepCheckpoints, faults, stepTimeout, maxAttempts, runConfig, listener, meterRegistry);
    }

    /**
     * @param directory where checkpoints go (created if missing)
     * @param every steps between checkpoints (0: only the final one)
     * @return a copy with them
     */
    public TrainerConfig withCheckpoints(Path directory, int every) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, directory, every, keepCheckpoints,
                faults, stepTimeout, maxAttempts, runConfig, listener, meterRegistry);
    }

    /** @param value checkpoints to keep @return a copy with it */
    public TrainerConfig withKeepCheckpoints(int value) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                value, faults, stepTimeout, maxAttempts, runConfig, listener, meterRegistry);
    }

    /** @param value faults to inject @return a copy with them */
    public TrainerConfig withFaults(TrainingFaults value) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                keepCheckpoints, value, stepTimeout, maxAttempts, runConfig, listener, meterRegistry);
    }

    /**
     * @param timeout the longest wait for one stage of a step
     * @param attempts how often one step may fail
     * @return a copy with them
     */
    public TrainerConfig withRetryPolicy(Duration timeout, int attempts) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                keepCheckpoints, faults, timeout, attempts, runConfig, listener, meterRegistry);
    }

    /** @param value the run's other settings in words @return a copy with it */
    public TrainerConfig withRunConfig(String value) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                keepCheckpoints, faults, stepTimeout, maxAttempts, value, listener, meterRegistry);
    }

    /** @param value who hears about progress @return a copy with it */
    public TrainerConfig withListener(TrainingListener value) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                keepCheckpoints, faults, stepTimeout, maxAttempts, runConfig, value, meterRegistry);
    }

    /** @param value where the run's meters go @return a copy with it */
    public TrainerConfig withMeterRegistry(MeterRegistry value) {
        return new TrainerConfig(loader, epochs, learningRate, labelSmoothing, checkpointDirectory, checkpointEvery,
                keepCheckpoints, faults, stepTimeout, maxAttempts, runConfig, listener, value);
    }

    /**
     * @return everything that decides the weights, as recorded in checkpoints (faults,
     *     checkpointing and timeouts are not: a run may resume with other ones)
     */
    String describeRun() {
        return String.format(Locale.ROOT, "%sepochs=%d,batch=%d,lr=%s,seed=%d,shuffle=%s,drop_last=%s,"
                        + "standardize=%s/%s,label_smoothing=%s", runConfig.isEmpty() ? "" : runConfig + ",", epochs,
                loader.batchSize(), learningRate, loader.seed(), loader.shuffle(), loader.dropLast(), loader.mean(),
                loader.std(), labelSmoothing);
    }
}
