package io.zbmd.ml.train;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.AskTimeoutException;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.InjectedFault;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.FaultInjectingBackend;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.checkpoint.TensorSpec;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.LrSchedule;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import io.zbmd.ml.train.TrainingActors.Apply;
import io.zbmd.ml.train.TrainingActors.Applied;
import io.zbmd.ml.train.TrainingActors.CheckpointActor;
import io.zbmd.ml.train.TrainingActors.DataActor;
import io.zbmd.ml.train.TrainingActors.FaultDice;
import io.zbmd.ml.train.TrainingActors.Fetch;
import io.zbmd.ml.train.TrainingActors.Fetched;
import io.zbmd.ml.train.TrainingActors.Forward;
import io.zbmd.ml.train.TrainingActors.Forwarded;
import io.zbmd.ml.train.TrainingActors.MetricsActor;
import io.zbmd.ml.train.TrainingActors.MetricsEvent;
import io.zbmd.ml.train.TrainingActors.ModelActor;
import io.zbmd.ml.train.TrainingActors.OptimizerActor;
import io.zbmd.ml.train.TrainingActors.Save;
import io.zbmd.ml.train.TrainingActors.Shared;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Supervised training that loses nothing: {@link #fit} trains a classifier under a
 * rest_for_one supervisor of data, model, optimizer, checkpoint and metrics actors (see
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
 * dropout counts). The commit is then the data position and the step count, held here.
 *
 * <p><b>Checkpoints</b> are taken from the commit without stopping: the small state is copied
 * at once, the parameters and moments by the checkpoint actor while the next step runs (their
 * buffers stay untouched for two steps). The store writes a temp file, fsyncs, renames and
 * fsyncs the directory. A run given a checkpoint directory resumes from its newest valid
 * checkpoint, if that was written by a run of the same config; a final one is always written.
 */
public final class Trainer {
    /** How often a message whose handling crashed is handed to the restarted actor. */
    private static final int RETRIES_PER_CRASH = 10;
    /**
     * The shortest wait for a stage before it is asked again. Shorter finds lost messages
     * sooner; but a JIT compilation or a GC pause early in a run can hold a stage for a few
     * hundred milliseconds, and a timeout then is a needless (if harmless) retry.
     */
    private static final Duration MIN_STAGE_TIMEOUT = Duration.ofSeconds(1);
    /** The actors a step's stages run on. */
    private static final Set<String> STAGES = Set.of("data", "model", "optimizer");

    private Trainer() {}

    /**
     * Trains {@code model} on {@code train} and measures it on {@code test}.
     *
     * @param model a classifier of {@code [batch, 1, rows, columns]} images, built on the backend
     *     it trains on ({@code config.faults().wrap(backend)} when device faults are asked for)
     * @param train the training set
     * @param test the test set
     * @param config how to train
     * @return accuracy, loss, steps, time, recoveries, checkpoints
     * @throws IOException if the checkpoint directory cannot be used
     * @throws IncompatibleRunException if the checkpoint directory holds another run of this model
     * @throws io.zbmd.ml.checkpoint.IncompatibleCheckpointException if it holds another model's
     * @throws TrainingFailedException if a step kept failing or a checkpoint could not be written
     */
    public static TrainingResult fit(Module model, ImageDataset train, ImageDataset test, TrainerConfig config)
            throws IOException {
        Backend backend = model.parameters().getFirst().backend();
        FaultInjectingBackend faulty = backend instanceof FaultInjectingBackend f ? f : null;
        if (config.faults().onDevice() && faulty == null) {
            throw new IllegalArgumentException("device and oom faults (" + config.faults() + ") need the model built on"
                    + " config.faults().wrap(backend); it is on " + backend.device().name());
        }
        if (faulty != null) {
            faulty.armed(false);
        }
        long started = System.nanoTime();
        DataLoader loader = DataLoader.create(train, config.loader());
        long totalSteps = (long) config.epochs() * loader.batchesPerEpoch();
        String run = config.describeRun() + ",train=" + train.name() + "/" + train.size();
        CheckpointStore store = config.checkpointDirectory() == null ? null
                : CheckpointStore.open(config.checkpointDirectory(), config.keepCheckpoints());
        try (Adam adam = Adam.adam(model.parameters(), config.learningRate())) {
            long startStep = 0;
            List<String> rejected = List.of();
            if (store != null) {
                try (Recovery recovery = store.latestValid()) {
                    rejected = recovery.rejected().stream().map(Object::toString).toList();
                    Optional<Checkpoint> found = recovery.checkpoint();
                    if (found.isPresent()) {
                        startStep = resume(found.get(), recovery.file().orElseThrow(), run, model, adam, loader);
                    }
                }
            }
            model.train(true);
            Run state = new Run(model, adam, loader, config, store, startStep, totalSteps, run);
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
            }
            double accuracy = accuracy(model, test, config.loader());
            return new TrainingResult(accuracy, state.lastEpochLoss, totalSteps, startStep,
                    Duration.ofNanos(System.nanoTime() - started), state.metrics.recoveries(),
                    state.metrics.checkpoints(), Optional.ofNullable(state.metrics.lastCheckpoint()), rejected,
                    state.shared.microBatching.most(), TrainingState.fingerprint(model),
                    state.metrics.timings(Duration.ofNanos(state.firstStepNanos == 0 ? 0
                            : state.firstStepNanos - started)));
        }
    }

    private static long resume(Checkpoint checkpoint, Path file, String run, Module model, Adam adam,
            DataLoader loader) {
        checkpoint.verifyCompatible(TensorSpec.ofAll(model.stateDict()));
        if (!checkpoint.config().equals(run)) {
            throw new IncompatibleRunException("checkpoint " + file + " (step " + checkpoint.step() + ") belongs to"
                    + " another run of this model.\n  its config:  " + checkpoint.config() + "\n  this run's:  " + run
                    + "\nUse another checkpoint directory, or the settings of the run that wrote it.");
        }
        TrainingState.restore(checkpoint, model, adam, loader);
        return checkpoint.step();
    }

    /**
     * @param model a classifier
     * @param dataset images and labels
     * @param loader its standardization is used (batch size, shuffling are not)
     * @return the fraction of {@code dataset} the model classifies correctly (eval mode, no graph)
     */
    public static double accuracy(Module model, ImageDataset dataset, DataLoaderConfig loader) {
        Backend backend = model.parameters().getFirst().backend();
        boolean training = model.isTraining();
        model.train(false);
        DataLoader batches = DataLoader.create(dataset, DataLoaderConfig.ofBatchSize(1000).withShuffle(false)
                .withStandardization(loader.mean(), loader.std()));
        long correct = 0;
        try (var ignored = Autograd.noGrad()) {
            for (int b = 0; b < batches.batchesPerEpoch(); b++) {
                Batch batch = batches.next();
                try (TensorScope scope = TensorScope.open(backend)) {
                    int[] predicted = model.forward(Tensors.of(batch.features(), batch.size(), 1, dataset.rows(),
                            dataset.columns())).argmax().toIntArray();
                    for (int i = 0; i < batch.size(); i++) {
                        if (predicted[i] == batch.labels()[i]) {
                            correct++;
                        }
                    }
                }
            }
        } finally {
            model.train(training);
        }
        return (double) correct / dataset.size();
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

    /** One run in this process: the actors, the commit, the loop. */
    private static final class Run {
        final Shared shared;
        final TrainingMetrics metrics;
        final TrainerConfig config;
        final CheckpointStore store;
        final long startStep;
        final long totalSteps;
        final String runConfig;
        final LrSchedule schedule;
        final ActorSystem system;
        final Supervisor supervisor;
        final ActorRef<Fetch> data;
        final ActorRef<Forward> modelActor;
        final ActorRef<Apply> optimizerActor;
        final ActorRef<Save> checkpointActor;
        final ActorRef<MetricsEvent> metricsActor;
        final List<AutoCloseable> subscriptions = new ArrayList<>();
        volatile long currentStep;
        /** When a stage's actor first crashed during the stage in flight; 0 if it has not. */
        volatile long crashedAtNanos;
        long firstStepNanos;
        /** The ask the trainer waits on, failed at once when its request is given up after repeated crashes. */
        volatile CompletableFuture<?> currentAsk;
        volatile String lastFailure = "none";
        volatile boolean gaveUp;
        /** The slowest recent stage: the maximum, decaying by 1 % per stage so that warm-up is forgotten. */
        double slowestStageNanos;
        double lastEpochLoss = Double.NaN;

        Run(Module model, Adam adam, DataLoader loader, TrainerConfig config, CheckpointStore store, long startStep,
                long totalSteps, String runConfig) {
            this.config = config;
            this.metrics = new TrainingMetrics(config.meterRegistry() != null ? config.meterRegistry()
                    : new SimpleMeterRegistry());
            this.store = store;
            this.startStep = startStep;
            this.totalSteps = totalSteps;
            this.runConfig = runConfig;
            this.schedule = LrSchedule.cosine(config.learningRate(), totalSteps, 0);
            this.shared = new Shared(model, adam, loader, config.labelSmoothing(), new FaultDice(config.faults()),
                    startStep);
            this.system = ActorSystem.create(ActorSystemConfig.defaults().withName("zbmd-training").withWorkers(2));
            subscriptions.add(system.events().subscribe(SupervisionEvent.ChildCrashed.class, crashed -> {
                lastFailure = crashed.childId() + ": " + crashed.reason();
                if (STAGES.contains(crashed.childId()) && crashedAtNanos == 0) {
                    crashedAtNanos = System.nanoTime();
                }
                shared.recovered(causeOf(crashed.reason()), currentStep, "the " + crashed.childId()
                        + " actor crashed (" + crashed.reason() + ") and was restarted in place");
            }));
            subscriptions.add(system.events().subscribe(SupervisionEvent.GaveUp.class, event -> gaveUp = true));
            subscriptions.add(system.events().subscribe(DeadLetter.class, this::deadLetter));
            this.supervisor = Supervisors.start(system, "training", SupervisorSpec.restForOne()
                    .withIntensity(1000, Duration.ofSeconds(10))
                    .withChild(ChildSpec.worker("data", () -> new DataActor(shared)).withRetries(RETRIES_PER_CRASH))
                    .withChild(ChildSpec.worker("model", () -> new ModelActor(shared)).withRetries(RETRIES_PER_CRASH))
                    .withChild(ChildSpec.worker("optimizer", () -> new OptimizerActor(shared))
                            .withRetries(RETRIES_PER_CRASH))
                    .withChild(ChildSpec.worker("checkpoint", () -> new CheckpointActor(shared, store))
                            .withRetries(RETRIES_PER_CRASH))
                    .withChild(ChildSpec.worker("metrics", () -> new MetricsActor(config.listener(), metrics))));
            this.data = child("data");
            this.modelActor = child("model");
            this.optimizerActor = child("optimizer");
            this.checkpointActor = child("checkpoint");
            this.metricsActor = child("metrics");
            shared.metrics.set(metricsActor);
        }

        private <M> ActorRef<M> child(String id) {
            return supervisor.<M>child(id).join().orElseThrow(() -> new IllegalStateException("no " + id + " actor"));
        }

        void train() {
            Module model = shared.model;
            metricsActor.tell(new MetricsEvent.Started(startStep, totalSteps, shared.loader.batchesPerEpoch(),
                    String.format(Locale.ROOT,
                    "%,d parameters, %,d training images, %d steps per epoch, %s; %s%s",
                    model.parameterCount(), shared.loader.dataset().size(), shared.loader.batchesPerEpoch(),
                    shared.backend.device().name(), runConfig,
                    config.faults().enabled() ? "; injecting faults " + config.faults() : "")));
            long runStart = System.nanoTime();
            LoaderPosition position = shared.loader.position();
            Pending pending = null;
            List<Pending> writes = new ArrayList<>();
            double epochLoss = 0;
            int epochSteps = 0;
            long epochStart = runStart;
            long samples = 0;
            for (long step = startStep; step < totalSteps; step++) {
                long stepStart = System.nanoTime();
                currentStep = step;
                final long s = step;
                final LoaderPosition at = position;
                Fetched fetched = stage(s, "data", data, (ActorRef<Fetched> r) -> new Fetch(s, at, r));
                Forwarded forwarded = stage(s, "model", modelActor,
                        (ActorRef<Forwarded> r) -> new Forward(s, fetched.batch(), r));
                if (pending != null && step >= pending.step + 1 && !pending.copied.isDone()) {
                    long waitStart = System.nanoTime();
                    await(pending, pending.copied, "copy");
                    pending.stallNanos += System.nanoTime() - waitStart;
                }
                stage(s, "optimizer", optimizerActor, (ActorRef<Applied> r) -> new Apply(s, schedule.lr(s), r));
                // Commit: the update is in, the model actor holds the next state, the position moves on.
                position = fetched.next();
                long completed = step + 1;
                samples += fetched.batch().size();
                epochLoss += forwarded.loss();
                epochSteps++;
                long now = System.nanoTime();
                double elapsed = now - runStart;
                if (firstStepNanos == 0) {
                    firstStepNanos = now;
                }
                metricsActor.tell(new MetricsEvent.Stepped(new TrainingListener.Progress(completed, totalSteps,
                        fetched.batch().epoch() + 1, forwarded.loss(), samples / (elapsed / 1e9),
                        Duration.ofNanos((long) elapsed)), now - stepStart));
                if (position.epoch() > fetched.batch().epoch() || completed == totalSteps) {
                    lastEpochLoss = epochLoss / epochSteps;
                    metricsActor.tell(new MetricsEvent.EpochEnded(fetched.batch().epoch() + 1, lastEpochLoss,
                            Duration.ofNanos(System.nanoTime() - epochStart)));
                    epochLoss = 0;
                    epochSteps = 0;
                    epochStart = System.nanoTime();
                }
                if (store != null && (completed == totalSteps
                        || config.checkpointEvery() > 0 && completed % config.checkpointEvery() == 0)) {
                    long stallStart = System.nanoTime();
                    if (pending != null) {
                        await(pending, pending.copied, "copy");
                        metricsActor.tell(new MetricsEvent.CheckpointStalled(pending.stallNanos
                                + System.nanoTime() - stallStart));
                        stallStart = System.nanoTime();
                    }
                    pending = new Pending(completed, TrainingState.snapshot(completed, shared.model, shared.optimizer,
                            position, runConfig));
                    writes.add(pending);
                    checkpointActor.tell(pending.save());
                    pending.stallNanos = System.nanoTime() - stallStart;
                }
                for (Pending write : writes) {
                    if (write.written.isCompletedExceptionally()) {
                        await(write, write.written, "write");
                    }
                }
                writes.removeIf(write -> write.written.isDone());
            }
            for (Pending write : writes) {
                await(write, write.written, "write");
            }
            if (pending != null) {
                metricsActor.tell(new MetricsEvent.CheckpointStalled(pending.stallNanos));
            }
        }

        /** Asks one stage of a step, again after a timeout, until it answers or the step has failed too often. */
        private <M, R> R stage(long step, String name, ActorRef<M> actor, Function<ActorRef<R>, M> request) {
            for (int attempt = 1; ; attempt++) {
                if (gaveUp) {
                    throw new TrainingFailedException("the training supervisor gave up at step " + step + " after too"
                            + " many restarts; last failure: " + lastFailure, null);
                }
                Duration timeout = stageTimeout();
                long start = System.nanoTime();
                try {
                    CompletableFuture<R> answer = actor.ask(request, timeout);
                    currentAsk = answer;
                    R reply = answer.get();
                    long crashedAt = crashedAtNanos;
                    if (crashedAt != 0) {
                        crashedAtNanos = 0;
                        metricsActor.tell(new MetricsEvent.RecoveryTimed(System.nanoTime() - crashedAt));
                    }
                    slowestStageNanos = Math.max(0.99 * slowestStageNanos, System.nanoTime() - start);
                    return reply;
                } catch (ExecutionException e) {
                    if (attempt >= config.maxAttempts()) {
                        throw new TrainingFailedException("step " + step + " failed " + attempt + " times at its "
                                + name + " stage; last failure: " + lastFailure + " (" + e.getCause() + ")"
                                + (store == null ? "" : "; run the same command again to resume from the newest"
                                        + " checkpoint in " + store.directory()), e.getCause());
                    }
                    if (e.getCause() instanceof AskTimeoutException) {
                        shared.recovered("timeout", step, "no answer from the " + name + " actor within "
                                + timeout.toMillis() + " ms; asked again");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TrainingFailedException("interrupted at step " + step, e);
                }
            }
        }

        /**
         * A request whose handling crashed more often than the actor's retries: fails the
         * ask waiting for it (no need to wait for the timeout), or sends a checkpoint again.
         */
        private void deadLetter(DeadLetter letter) {
            if (letter.reason() != DeadLetterReason.CRASHED) {
                return;
            }
            switch (letter.message()) {
                case Fetch f -> failAsk(letter);
                case Forward f -> failAsk(letter);
                case Apply a -> failAsk(letter);
                case Save save -> {
                    if (save.attempts().incrementAndGet() < config.maxAttempts()) {
                        checkpointActor.tell(save);
                    } else {
                        save.written().completeExceptionally(letter.cause());
                    }
                }
                default -> {}
            }
        }

        private void failAsk(DeadLetter letter) {
            CompletableFuture<?> ask = currentAsk;
            if (ask != null) {
                ask.completeExceptionally(new IllegalStateException("gave up on a " + letter.message().getClass()
                        .getSimpleName() + " after " + RETRIES_PER_CRASH + " retries", letter.cause()));
            }
        }

        private Duration stageTimeout() {
            if (slowestStageNanos == 0) {
                return config.stepTimeout();
            }
            long adaptive = Math.max(MIN_STAGE_TIMEOUT.toNanos(), (long) (20 * slowestStageNanos));
            return Duration.ofNanos(Math.min(adaptive, config.stepTimeout().toNanos()));
        }

        /** Waits for a checkpoint's copy or write; sends it again after a timeout (writing is idempotent). */
        private void await(Pending pending, CompletableFuture<?> future, String what) {
            for (int attempt = 1; ; attempt++) {
                try {
                    future.get(config.stepTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    return;
                } catch (ExecutionException e) {
                    throw new TrainingFailedException("cannot write the checkpoint of step " + pending.step + " to "
                            + store.directory() + ": " + e.getCause().getMessage(), e.getCause());
                } catch (TimeoutException e) {
                    if (attempt >= config.maxAttempts()) {
                        throw new TrainingFailedException("the checkpoint of step " + pending.step + " did not "
                                + what + " in " + attempt + " tries; last failure: " + lastFailure, e);
                    }
                    shared.recovered("timeout", pending.step, "checkpoint " + what + " took over "
                            + config.stepTimeout().toMillis() + " ms; sent again");
                    checkpointActor.tell(pending.save());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TrainingFailedException("interrupted while writing a checkpoint", e);
                }
            }
        }

        void stop() {
            CompletableFuture<Void> flushed = new CompletableFuture<>();
            metricsActor.tell(new MetricsEvent.Flush(flushed));
            try {
                flushed.get(config.stepTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // the counts may then miss the last events; the weights are not affected
            }
            for (AutoCloseable subscription : subscriptions) {
                try {
                    subscription.close();
                } catch (Exception e) {
                    // nothing to do
                }
            }
            system.close();
        }
    }

    /** A checkpoint on its way to disk. Used by the training thread only. */
    private static final class Pending {
        final long step;
        final TrainingState.Snapshot snapshot;
        final CompletableFuture<Void> copied = new CompletableFuture<>();
        final CompletableFuture<Path> written = new CompletableFuture<>();
        /** The training thread's time on this checkpoint so far. */
        long stallNanos;

        Pending(long step, TrainingState.Snapshot snapshot) {
            this.step = step;
            this.snapshot = snapshot;
        }

        Save save() {
            return new Save(snapshot, copied, written, new AtomicInteger());
        }
    }
}
