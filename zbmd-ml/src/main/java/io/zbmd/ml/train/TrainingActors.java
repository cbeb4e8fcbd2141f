package io.zbmd.ml.train;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.InjectedFault;
import io.zbmd.actor.Snapshotting;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Clipping;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The actors of a training run, children of its supervisor (rest_for_one, in this order):
 * data, model, optimizer, checkpoint, metrics. The run's coordinator ({@link TrainingRun})
 * drives each step through the first three, one request and reply at a time, and every
 * handler is idempotent with respect to the last commit: a
 * request handled twice (after a lost reply, or by an incarnation restarted after a crash)
 * gives the same answer and leaves the same state.
 *
 * <ul>
 *   <li>The data actor owns the loader and answers "the batch at position p": it seeks when
 *       it is not there already.
 *   <li>The model actor runs forward and backward passes. Before each it puts back the model's
 *       small mutable state (batch-norm statistics, dropout counts) as it was at the start of
 *       the step; that state is its {@link Snapshotting} snapshot, so a restarted incarnation
 *       has it too. Parameters are not touched by a forward or backward pass.
 *   <li>The optimizer actor applies the update for step n only while the optimizer has done
 *       n updates, so a repeated request is answered without a second update; the update
 *       itself is all or nothing ({@link Optimizer#step()}).
 *   <li>The checkpoint actor takes a snapshot at a step boundary, copies it off the device
 *       and writes it, while training goes on.
 *   <li>The metrics actor tells the listener, off the training thread.
 * </ul>
 *
 * <p>The model and optimizer actors share the parameters and their gradients; the
 * coordinator's sequence of requests (a reply happens before the next request) hands them
 * from one to the other.
 */
final class TrainingActors {
    private TrainingActors() {}

    /** What every actor of a run reads; made by the trainer before the actors start. */
    static final class Shared {
        final Module model;
        final Optimizer optimizer;
        final DataLoader loader;
        final Backend backend;
        final TrainingTask task;
        final FaultDice dice;
        final MicroBatching microBatching = new MicroBatching();
        final ActorRefHolder<MetricsEvent> metrics = new ActorRefHolder<>();
        final TrainingState.SnapshotPlan snapshots;
        final ModelCommit initialCommit;

        Shared(Module model, Optimizer optimizer, DataLoader loader, TrainingTask task, FaultDice dice,
                long startStep) {
            this.model = model;
            this.optimizer = optimizer;
            this.loader = loader;
            this.backend = model.parameters().getFirst().backend();
            this.task = task;
            this.dice = dice;
            this.snapshots = new TrainingState.SnapshotPlan(model, optimizer);
            this.initialCommit = ModelCommit.capture(startStep, this);
        }

        void recovered(String cause, long step, String detail) {
            metrics.tell(new MetricsEvent.Recovered(cause, step, detail));
        }
    }

    /**
     * How many parts the model actor splits a batch into: doubled after an out-of-memory
     * error (gradients are accumulated over the parts, so the effective batch stays the same),
     * up to {@link #MAX_PARTS}, and halved again after {@link #REGROW_AFTER} steps without one,
     * as a TCP window regrows after a loss: a lasting shortage keeps the batch split, a passing
     * one does not. The cap matters when out-of-memory errors are not caused by the batch's
     * size (injected ones, or another process's): each part runs every kernel again, so
     * splitting without end would make a step ever likelier to fail. An out-of-memory at the
     * cap is a crash like any other, retried from the commit. Used by the model actor only
     * (its incarnations hand it on through their messages' order).
     */
    static final class MicroBatching {
        static final int MAX_PARTS = 4;
        static final int REGROW_AFTER = 200;
        private volatile int parts = 1;
        private volatile int most = 1;
        private int cleanSteps;

        int parts() {
            return parts;
        }

        int most() {
            return most;
        }

        /** @return whether the batch could be split further */
        boolean split(int batchSize) {
            int limit = Math.min(MAX_PARTS, batchSize);
            if (parts >= limit) {
                return false;
            }
            parts = Math.min(parts * 2, limit);
            most = Math.max(most, parts);
            cleanSteps = 0;
            return true;
        }

        /** @return whether the parts were halved because the last steps had no out-of-memory */
        boolean succeeded() {
            if (parts > 1 && ++cleanSteps >= REGROW_AFTER) {
                parts /= 2;
                cleanSteps = 0;
                return true;
            }
            return false;
        }
    }

    /** A ref set once the metrics actor has started (the others start before it). */
    static final class ActorRefHolder<M> {
        private volatile ActorRef<M> ref;

        void set(ActorRef<M> value) {
            ref = value;
        }

        void tell(M message) {
            ActorRef<M> target = ref;
            if (target != null) {
                target.tell(message);
            }
        }
    }

    /** Seeded decisions for injected crashes and lost replies. Thread-safe. */
    static final class FaultDice {
        private final TrainingFaults faults;
        private final SplittableRandom random;

        FaultDice(TrainingFaults faults) {
            this.faults = faults;
            this.random = new SplittableRandom(faults.seed());
        }

        /** @return -1, or which of {@code points} places to crash at */
        synchronized int crashPoint(int points) {
            return faults.crashRate() > 0 && random.nextDouble() < faults.crashRate() ? random.nextInt(points) : -1;
        }

        synchronized boolean dropReply() {
            return faults.dropRate() > 0 && random.nextDouble() < faults.dropRate();
        }

        static void crashIf(boolean crash, String actor, long step, String where) {
            if (crash) {
                throw new InjectedFault("injected crash of the " + actor + " actor at step " + step + ", " + where);
            }
        }
    }

    /** Replies unless the dice lose it. */
    private static <R> void reply(Shared shared, ActorRef<? super R> replyTo, R message) {
        if (!shared.dice.dropReply()) {
            replyTo.tell(message);
        }
    }

    // ------------------------------------------------------------------ data

    record Fetch(long step, LoaderPosition at, ActorRef<? super Fetched> replyTo) {}

    /**
     * A step's batches: as many as the task accumulates, fewer at the end of an epoch (a step
     * never spans two epochs).
     */
    record Fetched(long step, List<Batch> batches, LoaderPosition next) {
        /** @return the epoch the batches belong to */
        int epoch() {
            return batches.getFirst().epoch();
        }

        /** @return the examples in all the batches */
        int samples() {
            int samples = 0;
            for (Batch batch : batches) {
                samples += batch.size();
            }
            return samples;
        }
    }

    static final class DataActor implements Actor<Fetch> {
        private final Shared shared;

        DataActor(Shared shared) {
            this.shared = shared;
        }

        @Override
        public void onMessage(Fetch fetch) {
            FaultDice.crashIf(shared.dice.crashPoint(1) == 0, "data", fetch.step(), "before loading the batch");
            DataLoader loader = shared.loader;
            if (!loader.position().equals(fetch.at())) {
                loader.seek(fetch.at());
            }
            List<Batch> batches = new ArrayList<>(shared.task.accumulation());
            do {
                batches.add(loader.next());
            } while (batches.size() < shared.task.accumulation() && loader.position().epoch() == batches.getFirst().epoch());
            reply(shared, fetch.replyTo(), new Fetched(fetch.step(), List.copyOf(batches), loader.position()));
        }
    }

    // ------------------------------------------------------------------ model

    record Forward(long step, List<Batch> batches, ActorRef<? super Forwarded> replyTo) {}

    /** @param next the model's state after this step's forward pass: the next step's start */
    record Forwarded(long step, double loss, ModelCommit next) {}

    /** The model's small mutable state at the start of a step (step = steps completed before it). */
    record ModelCommit(long step, TrainingState.ModelState state) {
        static ModelCommit capture(long step, Shared shared) {
            return new ModelCommit(step, shared.snapshots.captureModelState());
        }

        void restore(Shared shared) {
            shared.snapshots.restoreModelState(state);
        }
    }

    /** The commits of the last step handled and of the next. */
    record ModelCommits(ModelCommit previous, ModelCommit next) {}

    static final class ModelActor implements Actor<Forward>, Snapshotting<ModelCommits> {
        private static final String[] CRASH_POINTS = {"before the forward pass", "after the forward pass",
            "after the backward pass"};
        private final Shared shared;
        private ModelCommits commits;

        ModelActor(Shared shared) {
            this.shared = shared;
            this.commits = new ModelCommits(null, shared.initialCommit);
        }

        @Override
        public ModelCommits snapshot() {
            return commits;
        }

        @Override
        public void restore(ModelCommits snapshot) {
            commits = snapshot;
        }

        @Override
        public void onMessage(Forward forward) {
            long step = forward.step();
            ModelCommit at = commits.next().step() == step ? commits.next()
                    : commits.previous() != null && commits.previous().step() == step ? commits.previous() : null;
            if (at == null) {
                throw new IllegalStateException("the model actor was asked for step " + step + " but holds the state"
                        + " of step " + commits.next().step());
            }
            int crashAt = shared.dice.crashPoint(CRASH_POINTS.length);
            double loss;
            while (true) {
                at.restore(shared);
                try {
                    loss = forwardBackward(forward.batches(), step, crashAt);
                    break;
                } catch (DeviceOutOfMemoryException e) {
                    int smallest = forward.batches().stream().mapToInt(Batch::size).min().orElseThrow();
                    if (!shared.microBatching.split(smallest)) {
                        throw e;
                    }
                    shared.recovered("oom", step, "out of memory (" + e.getMessage() + "); each batch (of "
                            + forward.batches().getFirst().size() + ") now split into " + shared.microBatching.parts()
                            + " micro-batches with gradient accumulation");
                }
            }
            shared.microBatching.succeeded();
            commits = new ModelCommits(at, ModelCommit.capture(step + 1, shared));
            reply(shared, forward.replyTo(), new Forwarded(step, loss, commits.next()));
        }

        /**
         * Zeroes the gradients, then accumulates them over the step's batches and their
         * micro-batches, each part's loss weighted by its share of the step's samples (no weight
         * for a step of one whole batch, so that its arithmetic is the plain loss's); clips them
         * if the task says so. Returns the step's mean loss.
         */
        private double forwardBackward(List<Batch> batches, long step, int crashAt) {
            FaultDice.crashIf(crashAt == 0, "model", step, CRASH_POINTS[0]);
            shared.model.zeroGrad();
            int samples = 0;
            for (Batch batch : batches) {
                samples += batch.size();
            }
            double total = 0;
            boolean first = true;
            for (Batch batch : batches) {
                int size = batch.size();
                int parts = Math.min(shared.microBatching.parts(), size);
                for (int part = 0; part < parts; part++) {
                    int from = (int) ((long) size * part / parts);
                    int to = (int) ((long) size * (part + 1) / parts);
                    Batch piece = parts == 1 ? batch : batch.range(from, to);
                    try (TensorScope scope = TensorScope.open(shared.backend)) {
                        Tensor loss = lossOf(piece, step);
                        if (to - from != samples) {
                            loss = loss.mul((float) (to - from) / samples);
                        }
                        FaultDice.crashIf(crashAt == 1 && first, "model", step, CRASH_POINTS[1]);
                        first = false;
                        loss.backward();
                        total += loss.item();
                    }
                }
            }
            if (shared.task.clipGradNorm() > 0) {
                Clipping.clipGradNorm(shared.model.parameters(), shared.task.clipGradNorm());
            }
            FaultDice.crashIf(crashAt == 2, "model", step, CRASH_POINTS[2]);
            return total;
        }

        private Tensor lossOf(Batch batch, long step) {
            Tensor loss = shared.task.loss().compute(shared.model.forward(BatchTensors.inputs(batch)),
                    BatchTensors.targets(batch));
            if (loss.numel() != 1) {
                throw new IllegalArgumentException("the loss " + shared.task.loss().description() + " returned a tensor"
                        + " of shape " + Arrays.toString(loss.shape()) + " at step " + step + "; a loss must return one"
                        + " value (reduce it with mean() or sum())");
            }
            return loss.dim() == 0 ? loss : loss.reshape();
        }
    }

    // ------------------------------------------------------------------ optimizer

    record Apply(long step, double lr, ActorRef<? super Applied> replyTo) {}

    record Applied(long step) {}

    static final class OptimizerActor implements Actor<Apply> {
        private final Shared shared;

        OptimizerActor(Shared shared) {
            this.shared = shared;
        }

        @Override
        public void onMessage(Apply apply) {
            Optimizer optimizer = shared.optimizer;
            if (optimizer.steps() == apply.step()) {
                FaultDice.crashIf(shared.dice.crashPoint(1) == 0, "optimizer", apply.step(), "before the update");
                optimizer.lr(apply.lr());
                optimizer.step();
            } else if (optimizer.steps() != apply.step() + 1) {
                throw new IllegalStateException("the optimizer actor was asked for update " + apply.step()
                        + " but has done " + optimizer.steps());
            }
            reply(shared, apply.replyTo(), new Applied(apply.step()));
        }
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * Checkpoint the state after {@code step} completed steps: take the snapshot (then
     * {@code taken}: the next update may go), copy it off the device (then {@code copied}: the
     * update after that may go), write it (then {@code written}). {@code snapshot} keeps the
     * snapshot once taken, so that a retry after a crash copies the same one; {@code attempts}
     * counts how often the request was sent again after its handling kept crashing.
     */
    record Save(long step, LoaderPosition position, String config, TrainingState.ModelState modelState,
            AtomicReference<TrainingState.Snapshot> snapshot, CompletableFuture<Void> taken,
            CompletableFuture<Void> copied, CompletableFuture<Path> written, AtomicInteger attempts) {}

    static final class CheckpointActor implements Actor<Save> {
        private final ActorContext<Save> context;
        private final Shared shared;
        private final CheckpointStore store;

        CheckpointActor(ActorContext<Save> context, Shared shared, CheckpointStore store) {
            this.context = context;
            this.shared = shared;
            this.store = store;
        }

        @Override
        public void onMessage(Save save) {
            long start = context.nanoTime();
            FaultDice.crashIf(shared.dice.crashPoint(1) == 0, "checkpoint", save.step(), "before the snapshot");
            TrainingState.Snapshot snapshot = save.snapshot().get();
            if (snapshot == null) {
                snapshot = shared.snapshots.snapshot(save.step(), save.position(), save.config(), save.modelState());
                save.snapshot().set(snapshot);
            }
            save.taken().complete(null);
            Checkpoint checkpoint = snapshot.toCheckpoint();
            save.copied().complete(null);
            try {
                Path file = store.write(checkpoint);
                // Told before completing: the trainer's final flush of the metrics must count it.
                shared.metrics.tell(new MetricsEvent.Checkpointed(checkpoint.step(), file,
                        Duration.ofNanos(context.nanoTime() - start)));
                save.written().complete(file);
            } catch (IOException e) {
                save.written().completeExceptionally(e);
            }
        }
    }

    // ------------------------------------------------------------------ metrics

    sealed interface MetricsEvent {
        record Started(long startStep, long totalSteps, long stepsPerEpoch, String description)
                implements MetricsEvent {}

        record Stepped(TrainingListener.Progress progress, long stepNanos) implements MetricsEvent {}

        /**
         * Steps sent together: one message per watchdog tick rather than one per step, so that
         * the metrics actor does not wake a second worker thread at every step.
         */
        record SteppedBatch(List<Stepped> steps) implements MetricsEvent {}

        /** A stage completed after its actor had crashed: the time from the (first) crash. */
        record RecoveryTimed(long nanos) implements MetricsEvent {}

        /** The training thread's time on one checkpoint: taking the snapshot and any wait for its copy. */
        record CheckpointStalled(long nanos) implements MetricsEvent {}

        record EpochEnded(int epoch, double meanLoss, Duration took) implements MetricsEvent {}

        record Recovered(String cause, long step, String detail) implements MetricsEvent {}

        record Checkpointed(long step, Path file, Duration took) implements MetricsEvent {}

        /** Completes once every event sent before it has been handled. */
        record Flush(CompletableFuture<Void> done) implements MetricsEvent {}
    }

    static final class MetricsActor implements Actor<MetricsEvent> {
        private final TrainingListener listener;
        private final TrainingMetrics metrics;

        MetricsActor(TrainingListener listener, TrainingMetrics metrics) {
            this.listener = listener;
            this.metrics = metrics;
        }

        @Override
        public void onMessage(MetricsEvent event) {
            if (event instanceof MetricsEvent.SteppedBatch batch) {
                batch.steps().forEach(this::onMessage);
                return;
            }
            metrics.record(event);
            switch (event) {
                case MetricsEvent.Started s -> listener.started(s.startStep(), s.totalSteps(), s.stepsPerEpoch(),
                        s.description());
                case MetricsEvent.Stepped s -> listener.stepped(s.progress());
                case MetricsEvent.EpochEnded e -> listener.epochEnded(e.epoch(), e.meanLoss(), e.took());
                case MetricsEvent.Recovered r -> listener.recovered(r.cause(), r.step(), r.detail());
                case MetricsEvent.Checkpointed c -> listener.checkpointed(c.step(), c.file(), c.took());
                case MetricsEvent.Flush f -> f.done().complete(null);
                case MetricsEvent.RecoveryTimed t -> {}
                case MetricsEvent.SteppedBatch b -> {}
                case MetricsEvent.CheckpointStalled s -> {}
            }
        }
    }
}
