package io.zbmd.ml.train;

import io.zbmd.actor.ExitReason;
import io.zbmd.actor.InjectedFault;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.checkpoint.TensorSpec;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised training that loses nothing: {@link #fit} trains a model under a
 * rest_for_one supervisor of data, model, checkpoint and metrics actors (see
 * {@link TrainingActors}), commits the training state at every step boundary, and recovers
 * from crashes of its actors, device errors, out-of-memory errors and lost messages by
 * retrying the step from the last commit. With the same seed, config and thread count, a run
 * with any number of such recoveries ends with the same parameters, bit for bit, as a run
 * with none (out-of-memory splits excepted: they change the arithmetic).
 *
 * <p><b>The step commit.</b> A step is three idempotent stages: fetch the batch at the
 * committed data position, run forward and backward from the committed model state, apply
 * the update if it has not been applied. The optimizer's update is all or nothing and
 * computes into a second set of buffers, so committing costs an exchange of buffers, not a
 * copy; the model actor keeps the small state a forward pass changes (batch-norm statistics,
 * dropout counts). The commit is then the data position and the step count, held by the
 * run's coordinator ({@link TrainingRun}).
 *
 * <p><b>Checkpoints</b> are taken from the commit without stopping: the model actor takes the
 * snapshot before the next forward pass (its step-boundary state, and the parameters' and
 * moments' buffers, which stay untouched for two updates) and hands it to the checkpoint
 * actor, which copies and writes it while training goes on. The store writes a temp file,
 * fsyncs, renames and fsyncs the directory. A run given a checkpoint directory resumes from
 * its newest valid checkpoint, if that was written by a run of the same {@link RunIdentity};
 * a final one is always written.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private Trainer() {}

    /**
     * Trains {@code model} on {@code train} with the config's {@link TrainingTask} and measures
     * it on {@code test} (the task's loss, and the accuracy when the targets are class indices).
     *
     * @param model a model of the training set's inputs, built on the backend it trains on
     *     ({@code config.faults().wrap(backend)} when device faults are asked for)
     * @param train the training set
     * @param test the test set
     * @param config how to train
     * @return loss and accuracy on the test set, steps, time, recoveries, checkpoints
     * @throws IOException if the checkpoint directory cannot be used
     * @throws IncompatibleRunException if the checkpoint directory holds another run of this model
     * @throws io.zbmd.ml.checkpoint.IncompatibleCheckpointException if it holds another model's
     * @throws TrainingFailedException if a step kept failing or a checkpoint could not be written
     */
    public static TrainingResult fit(Module model, Dataset train, Dataset test, TrainerConfig config)
            throws IOException {
        return run(model, train, test, config, null);
    }

    /**
     * {@link #fit} without waiting: the run goes on on a virtual thread of its own (its actors
     * on their dispatcher), and the job returned gives its result and can cancel it. Do not
     * touch the model until the result is in.
     *
     * @param model a model of the training set's inputs, on the backend it trains on
     * @param train the training set
     * @param test the test set
     * @param config how to train; with {@link TrainerConfig#withParent} the run's actors live
     *     under the caller's supervisor
     * @return the job: its {@link TrainingJob#result()} completes as {@link #fit} returns or throws
     */
    public static TrainingJob start(Module model, Dataset train, Dataset test, TrainerConfig config) {
        TrainingJob job = new TrainingJob();
        Thread.ofVirtual().name("zbmd-training-job").start(() -> {
            try {
                job.complete(run(model, train, test, config, job));
            } catch (Throwable e) {
                job.fail(e);
            }
        });
        return job;
    }

    /**
     * Trains; when the model's device is lost for good and the config has a fallback, moves the
     * run to the next device and resumes it there from its last checkpoint, as often as the
     * fallback offers one.
     */
    private static TrainingResult run(Module model, Dataset train, Dataset test, TrainerConfig config, TrainingJob job)
            throws IOException {
        long started = System.nanoTime();
        Module current = model;
        long migrations = 0;
        long[] reached = new long[1];
        while (true) {
            try {
                TrainingResult result = attempt(current, train, test, config, job, migrations > 0, reached);
                return migrations == 0 ? result
                        : result.afterMigrations(migrations, Duration.ofNanos(System.nanoTime() - started));
            } catch (TrainingFailedException e) {
                Backend lost = current.parameters().getFirst().backend();
                if (config.fallback() == null || config.checkpointDirectory() == null
                        || !(e.getCause() instanceof DeviceException)) {
                    throw e;
                }
                Optional<Module> next = config.fallback().next(lost);
                if (next.isEmpty()) {
                    throw e;
                }
                current = next.get();
                migrations++;
                String moved = "the device " + lost.device().name() + " is lost (" + e.getCause().getMessage()
                        + "); the run moves to " + current.parameters().getFirst().backend().device().name()
                        + " and resumes from its last checkpoint in " + config.checkpointDirectory();
                LOG.warn(moved);
                config.listener().recovered("migration", reached[0], moved);
            }
        }
    }

    /** One run on one device; {@code reached[0]} gets the steps it completed, also when it fails. */
    private static TrainingResult attempt(Module model, Dataset train, Dataset test, TrainerConfig config,
            TrainingJob job, boolean migrated, long[] reached) throws IOException {
        Backend backend = model.parameters().getFirst().backend();
        DeviceFaults faulty = backend.faults().injects() ? backend.faults() : null;
        // After a migration the config's device faults were the lost device's; the next one has none.
        if (config.faults().onDevice() && faulty == null && !migrated) {
            throw new IllegalArgumentException("device and oom faults (" + config.faults() + ") need the model built on"
                    + " config.faults().wrap(backend); it is on " + backend.device().name());
        }
        if (faulty != null) {
            faulty.armed(false);
        }
        long started = System.nanoTime();
        DataLoader loader = DataLoader.create(train, config.loader());
        long totalSteps = config.epochs() * stepsPerEpoch(loader, config.task());
        RunIdentity identity = RunIdentity.of(model, train, config,
                config.initFrom() == null ? "" : config.initFrom().describe());
        String run = identity.encode();
        CheckpointStore store = config.checkpointDirectory() == null ? null
                : CheckpointStore.open(config.checkpointDirectory(), config.keepCheckpoints());
        try (Optimizer optimizer = config.task().optimizer().create(model.parameters(), config.learningRate())) {
            long startStep = 0;
            double[] validationState = null;
            List<String> rejected = List.of();
            if (store != null) {
                try (Recovery recovery = store.latestValid()) {
                    rejected = recovery.rejected().stream().map(Object::toString).toList();
                    Optional<Checkpoint> found = recovery.checkpoint();
                    if (found.isPresent()) {
                        startStep = resume(found.get(), recovery.file().orElseThrow(), identity, model, optimizer,
                                loader, migrated);
                        validationState = TrainingState.validationState(found.get());
                    }
                }
            }
            if (startStep == 0 && config.initFrom() != null) {
                config.initFrom().apply(model, optimizer, loader);
            }
            model.train(true);
            TrainingRun state = new TrainingRun(model, optimizer, loader, config, store, startStep, totalSteps, run,
                    validationState);
            if (job != null) {
                job.started(state);
            }
            long trainStart = System.nanoTime();
            try {
                if (faulty != null) {
                    faulty.armed(true);
                }
                state.train();
            } finally {
                if (faulty != null) {
                    faulty.armed(false);
                }
                state.stop();
                reached[0] = state.completedSteps;
            }
            Evaluation evaluation = evaluate(model, test, config.loader(), config.task().loss());
            return new TrainingResult(evaluation.accuracy(), evaluation.loss(), state.lastEpochLoss,
                    state.completedSteps, startStep, state.stoppedEarly,
                    Duration.ofNanos(System.nanoTime() - started), state.metrics.recoveries(),
                    state.metrics.checkpoints(), Optional.ofNullable(state.metrics.lastCheckpoint()), rejected,
                    state.mostMicroBatches, state.mostStepFailures, TrainingState.fingerprint(model),
                    state.metrics.timings(state.firstStepAfterStart == null ? Duration.ZERO
                            : Duration.ofNanos(trainStart - started).plus(state.firstStepAfterStart)));
        }
    }

    /** @return optimizer steps per epoch: the loader's batches, {@code accumulation} to a step */
    static long stepsPerEpoch(DataLoader loader, TrainingTask task) {
        return (loader.batchesPerEpoch() + task.accumulation() - 1) / task.accumulation();
    }

    /** The identity's fields that name the device and its kernels: a migration changes them. */
    private static final List<String> COMPUTE_FIELDS = List.of("backend:", "threads:", "gemm:", "lanes:");

    private static long resume(Checkpoint checkpoint, Path file, RunIdentity identity, Module model,
            Optimizer optimizer, DataLoader loader, boolean migrated) {
        checkpoint.verifyCompatible(TensorSpec.ofAll(model.stateDict()));
        Optional<RunIdentity> recorded = RunIdentity.decode(checkpoint.config());
        if (recorded.isEmpty()) {
            throw new IncompatibleRunException("checkpoint " + file + " (step " + checkpoint.step() + ") records no run"
                    + " identity that this version of zbmd reads (it was written by an earlier one, or by another"
                    + " program), so a resume from it could not be checked to give the same weights. Use another"
                    + " checkpoint directory.");
        }
        List<String> differences = identity.differencesFrom(recorded.get()).stream()
                .filter(d -> !migrated || COMPUTE_FIELDS.stream().noneMatch(d::startsWith)).toList();
        if (!differences.isEmpty()) {
            throw new IncompatibleRunException("checkpoint " + file + " (step " + checkpoint.step() + ") belongs to"
                    + " another run; resuming it with these settings would not give its weights:\n  "
                    + String.join("\n  ", differences) + "\nUse the settings of the run that wrote it, or another"
                    + " checkpoint directory" + (differences.stream().anyMatch(d -> d.startsWith("epochs:"))
                            ? "; to train a run further, start a new one from it in another directory"
                                    + " (InitFrom.run, zbmd train --continue)" : "") + ".");
        }
        Optional<String> nonFinite = TrainingState.firstNonFinite(checkpoint);
        if (nonFinite.isPresent()) {
            throw new IncompatibleRunException("checkpoint " + file + " (step " + checkpoint.step() + ") holds weights"
                    + " that are not finite (" + nonFinite.get() + "); a run does not resume from it. Move it away to"
                    + " resume from the checkpoint before it.");
        }
        try {
            TrainingState.restore(checkpoint, model, optimizer, loader);
        } catch (IllegalArgumentException e) {
            throw new IncompatibleRunException("checkpoint " + file + " (step " + checkpoint.step() + ") cannot be"
                    + " resumed: " + e.getMessage() + ". Move it away to resume from the checkpoint before it.");
        }
        return checkpoint.step();
    }

    /**
     * A model's loss, and accuracy, on a dataset.
     *
     * @param loss the mean of the loss over the examples (each batch's loss weighted by its size)
     * @param accuracy the fraction of examples whose highest output is their class; NaN when the
     *     targets are not class indices {@code [n]} or the output not {@code [n, classes]}
     */
    public record Evaluation(double loss, double accuracy) {}

    /**
     * @param model a model of the dataset's inputs
     * @param dataset examples and targets
     * @param loader its standardization and transforms are used (batch size, shuffling are not)
     * @param loss the loss to average
     * @return the loss and accuracy (eval mode on this thread only, no graph: the model's own
     *     training flag is not touched)
     */
    public static Evaluation evaluate(Module model, Dataset dataset, DataLoaderConfig loader, Loss loss) {
        Backend backend = model.parameters().getFirst().backend();
        Inference inference = Inference.of(model, loader);
        DataLoader batches = inference.batches(dataset);
        long correct = 0;
        boolean classes = true;
        double lossSum = 0;
        try (var ignored = Autograd.noGrad()) {
            for (int b = 0; b < batches.batchesPerEpoch(); b++) {
                Batch batch = batches.next();
                try (TensorScope scope = TensorScope.open(backend)) {
                    Tensor output = inference.forward(BatchTensors.inputs(batch));
                    lossSum += (double) loss.compute(output, BatchTensors.targets(batch)).item() * batch.size();
                    classes &= output.dim() == 2 && batch.targets() instanceof Column.Ints ints
                            && ints.shape().length == 1;
                    if (classes) {
                        int[] predicted = output.argmax().toIntArray();
                        int[] labels = batch.labels();
                        for (int i = 0; i < batch.size(); i++) {
                            if (predicted[i] == labels[i]) {
                                correct++;
                            }
                        }
                    }
                }
            }
        }
        return new Evaluation(lossSum / dataset.size(), classes ? (double) correct / dataset.size() : Double.NaN);
    }

    /**
     * @param model a classifier
     * @param dataset examples and class labels
     * @param loader its standardization and transforms are used (batch size, shuffling are not)
     * @return the fraction of {@code dataset} the model classifies correctly (eval mode, no graph)
     */
    public static double accuracy(Module model, Dataset dataset, DataLoaderConfig loader) {
        return evaluate(model, dataset, loader, Loss.crossEntropy()).accuracy();
    }

    /** @return the recovery cause of a crash */
    static String causeOf(ExitReason reason) {
        Throwable cause = reason instanceof ExitReason.Crash crash ? crash.cause() : null;
        return switch (cause) {
            case InjectedFault f -> "crash";
            case DeviceOutOfMemoryException e -> "oom";
            case DeviceException e -> "device";
            case null, default -> "error";
        };
    }
}
