package io.zbmd.ml.train;

import io.micrometer.core.instrument.MeterRegistry;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.supervision.Supervisor;
import io.zbmd.ml.nn.Loss;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link Trainer#fit} trains: batches from a seeded loader, for some epochs, through a
 * {@link TrainingTask} (loss, optimizer, schedule, clipping, accumulation; by default
 * cross-entropy and Adam with a cosine decay of the learning rate to zero over the run),
 * supervised, with checkpoints.
 *
 * @param loader batch size, shuffle seed, standardization, transforms
 * @param epochs passes over the training set
 * @param task the loss, the optimizer and how it steps
 * @param checkpointDirectory where checkpoints go and a run resumes from; null for none
 * @param checkpointEvery steps between checkpoints (0: only the final one)
 * @param keepCheckpoints how many checkpoints to keep
 * @param faults faults to inject
 * @param limits when the run gives up: failures of one step, the stage timeout, the training
 *     supervisor's restart loop
 * @param runConfig what else defines the run, in the caller's words, recorded in checkpoints
 *     with the rest of its {@link RunIdentity}: a checkpoint directory resumes only a run with
 *     the same identity
 * @param listener progress, recoveries, checkpoints
 * @param meterRegistry where the run's Micrometer meters go (see {@code TrainingMetrics}); null
 *     for a private registry
 * @param actors the actor system the run's actors live in (its name, workers, dispatcher);
 *     with {@link ActorSystemConfig#deterministic(long)}, {@link Trainer#fit} runs every actor
 *     turn on the calling thread in an order drawn from the seed, with time on a virtual clock
 *     (a seeded simulation of the run: with the faults' seed, it replays exactly); not used
 *     when the run has a {@code parent}
 * @param parent the caller's supervisor to run under (its system then hosts the run's actors,
 *     and the run's supervisor is its temporary child for the run's length); null for an actor
 *     system of the run's own
 * @param initFrom where a run that starts from nothing takes its weights (and optionally its
 *     whole training state), recorded as its parent; null for the model's own initialisation
 * @param validation measuring on validation data as the run trains, and early stopping; null
 *     for none
 * @param fallback where the run goes when its device is lost for good: the model built on the
 *     next device, the run resuming there from its last checkpoint; null to stop instead
 */
public record TrainerConfig(DataLoaderConfig loader, int epochs, TrainingTask task, Path checkpointDirectory,
        int checkpointEvery, int keepCheckpoints, TrainingFaults faults, FailureLimits limits, String runConfig,
        TrainingListener listener, MeterRegistry meterRegistry, ActorSystemConfig actors, Supervisor parent,
        InitFrom initFrom, Validation validation, DeviceFallback fallback) {

    /** Default {@link #actors()}: two workers, one for the steps, one for checkpoints and metrics beside them. */
    public static final ActorSystemConfig DEFAULT_ACTORS = ActorSystemConfig.defaults().withName("zbmd-training")
            .withWorkers(2);

    /** Checks the values. */
    public TrainerConfig {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(faults, "faults");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(actors, "actors");
        Objects.requireNonNull(runConfig, "runConfig");
        Objects.requireNonNull(listener, "listener");
        if (epochs < 1 || checkpointEvery < 0 || keepCheckpoints < 1) {
            throw new IllegalArgumentException("trainer config out of range: epochs " + epochs + " (1 or more), "
                    + "checkpoint every " + checkpointEvery + " (0 or more), keep " + keepCheckpoints + " (1 or more)");
        }
    }

    /**
     * @param loader batch size, seed, standardization
     * @param epochs passes over the training set
     * @param learningRate Adam's initial learning rate
     * @return a classifier's {@link TrainingTask#classification task}, no checkpoints, no faults,
     *     {@link FailureLimits#defaults()}, an actor system of two workers (one for the steps, one
     *     for checkpoints and metrics beside them)
     */
    public static TrainerConfig of(DataLoaderConfig loader, int epochs, double learningRate) {
        return of(loader, epochs, TrainingTask.classification(learningRate));
    }

    /**
     * @param loader batch size, seed, standardization, transforms
     * @param epochs passes over the training set
     * @param task the loss, the optimizer and how it steps
     * @return no checkpoints, no faults, {@link FailureLimits#defaults()}, an actor system of
     *     two workers (one for the steps, one for checkpoints and metrics beside them)
     */
    public static TrainerConfig of(DataLoaderConfig loader, int epochs, TrainingTask task) {
        return new TrainerConfig(loader, epochs, task, null, 0, 3, TrainingFaults.NONE, FailureLimits.defaults(), "",
                TrainingListener.NONE, null, DEFAULT_ACTORS, null, null, null, null);
    }

    /** @param value how batches are made @return a copy with it */
    public TrainerConfig withLoader(DataLoaderConfig value) {
        return new TrainerConfig(value, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value passes over the training set @return a copy with it */
    public TrainerConfig withEpochs(int value) {
        return new TrainerConfig(loader, value, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value the task @return a copy with it */
    public TrainerConfig withTask(TrainingTask value) {
        return new TrainerConfig(loader, epochs, value, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value label smoothing of the cross-entropy loss @return a copy with that loss */
    public TrainerConfig withLabelSmoothing(float value) {
        return withTask(task.withLoss(Loss.crossEntropy(value)));
    }

    /** @return the task's base learning rate */
    public double learningRate() {
        return task.learningRate();
    }

    /**
     * @param directory where checkpoints go (created if missing)
     * @param every steps between checkpoints (0: only the final one)
     * @return a copy with them
     */
    public TrainerConfig withCheckpoints(Path directory, int every) {
        return new TrainerConfig(loader, epochs, task, directory, every, keepCheckpoints, faults, limits, runConfig,
                listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value checkpoints to keep @return a copy with it */
    public TrainerConfig withKeepCheckpoints(int value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, value, faults, limits,
                runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value faults to inject @return a copy with them */
    public TrainerConfig withFaults(TrainingFaults value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, value,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value when the run gives up @return a copy with it */
    public TrainerConfig withLimits(FailureLimits value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                value, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value the run's other settings in words @return a copy with it */
    public TrainerConfig withRunConfig(String value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, value, listener, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value who hears about progress @return a copy with it */
    public TrainerConfig withListener(TrainingListener value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, value, meterRegistry, actors, parent, initFrom, validation, fallback);
    }

    /** @param value where the run's meters go @return a copy with it */
    public TrainerConfig withMeterRegistry(MeterRegistry value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, value, actors, parent, initFrom, validation, fallback);
    }

    /**
     * @param value the caller's supervisor: the run's supervisor starts as its temporary child,
     *     in its actor system, and is removed when the run ends
     * @return a copy with it
     */
    public TrainerConfig withParent(Supervisor value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, value, initFrom, validation, fallback);
    }

    /** @param value where a new run starts from @return a copy with it */
    public TrainerConfig withInitFrom(InitFrom value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, value, validation, fallback);
    }

    /** @param value validation and early stopping @return a copy with it */
    public TrainerConfig withValidation(Validation value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, value, fallback);
    }

    /** @param value the actor system the run's actors live in @return a copy with it */
    public TrainerConfig withActors(ActorSystemConfig value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, value, parent, initFrom, validation, fallback);
    }

    /**
     * @param value where the run goes when its device is lost for good (needs checkpoints: the
     *     run resumes on the next device from its last one)
     * @return a copy with it
     */
    public TrainerConfig withFallback(DeviceFallback value) {
        return new TrainerConfig(loader, epochs, task, checkpointDirectory, checkpointEvery, keepCheckpoints, faults,
                limits, runConfig, listener, meterRegistry, actors, parent, initFrom, validation, value);
    }
}
