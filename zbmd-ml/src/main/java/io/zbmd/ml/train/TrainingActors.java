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
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Clipping;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * data, model, checkpoint, metrics. The run's coordinator ({@link TrainingRun}) drives each
 * step through the first two, one request and reply at a time, and every handler is
 * idempotent with respect to the last commit: a request handled twice (after a lost reply,
 * or by an incarnation restarted after a crash) gives the same answer and leaves the same
 * state.
 *
 * <p>Each actor owns its state; what passes between them are immutable values (batches,
 * commits, snapshots) and the futures the coordinator gates updates on.
 * <ul>
 *   <li>The data actor owns a loader, made by each incarnation from the dataset and its
 *       config, and answers "the batches at position p": it seeks when it is not there.
 *   <li>The model actor owns the model and its optimizer. It runs forward and backward passes
 *       (before each it puts back the model's small mutable state, batch-norm statistics and
 *       dropout counts, as it was at the start of the step: its {@link Snapshotting} snapshot,
 *       so that a restarted incarnation has it too), applies the update for step n only while
 *       the optimizer has done n updates (the update is all or nothing, {@link Optimizer#step()}),
 *       and takes checkpoint snapshots. The weights themselves pass from a crashed incarnation
 *       to the next (they are the committed state: nothing changes them but a whole update).
 *   <li>The checkpoint actor receives snapshots taken by the model actor, copies them off the
 *       device and writes them, while training goes on; a failed write crashes it and is
 *       retried by its restarted incarnation.
 *   <li>The metrics actor tells the listener, off the training thread.
 * </ul>
 */
final class TrainingActors {
    private TrainingActors() {}

    /**
     * What the model actor owns, handed from each incarnation to the next by its supervisor's
     * factory: the model, its optimizer and the plan of their snapshots. No other actor holds it.
     */
    record ModelResources(Module model, Optimizer optimizer, TrainingState.SnapshotPlan plan, Backend backend,
            TrainingTask task, DataLoaderConfig loader, Validation validation) {}

    /**
     * How many parts the model actor splits a batch into: doubled after an out-of-memory
     * error (gradients are accumulated over the parts, so the effective batch stays the same),
     * up to {@link #MAX_PARTS}, and halved again after {@link #REGROW_AFTER} steps without one,
     * as a TCP window regrows after a loss: a lasting shortage keeps the batch split, a passing
     * one does not. The cap matters when out-of-memory errors are not caused by the batch's
     * size (injected ones, or another process's): each part runs every kernel again, so
     * splitting without end would make a step ever likelier to fail. An out-of-memory at the
     * cap is a crash like any other, retried from the commit. Part of the model actor's state.
     *
     * @param parts the parts a batch is split into now
     * @param most the most parts so far
     * @param cleanSteps steps since the last split
     */
    record MicroBatching(int parts, int most, int cleanSteps) {
        static final int MAX_PARTS = 4;
        static final int REGROW_AFTER = 200;
        static final MicroBatching WHOLE = new MicroBatching(1, 1, 0);

        /** @return split further, or null if the batch cannot be */
        MicroBatching split(int batchSize) {
            int limit = Math.min(MAX_PARTS, batchSize);
            if (parts >= limit) {
                return null;
            }
            int more = Math.min(parts * 2, limit);
            return new MicroBatching(more, Math.max(most, more), 0);
        }

        /** @return after a step without out-of-memory: halved after enough of them */
        MicroBatching succeeded() {
            if (parts > 1 && cleanSteps + 1 >= REGROW_AFTER) {
                return new MicroBatching(parts / 2, most, 0);
            }
            return parts > 1 ? new MicroBatching(parts, most, cleanSteps + 1) : this;
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

    /**
     * Seeded decisions for one actor's injected faults: crashes, lost and late replies, failed
     * writes. Each actor has a stream of its own, kept across its incarnations (a restarted
     * actor goes on drawing, so it does not repeat the crash it just had), so the decisions do
     * not depend on how the actors' turns interleave.
     */
    static final class FaultDice {
        private final TrainingFaults faults;
        private final SplittableRandom random;

        private FaultDice(TrainingFaults faults, SplittableRandom random) {
            this.faults = faults;
            this.random = random;
        }

        /** @return one stream per actor, in this order: data, model, checkpoint */
        static FaultDice[] perActor(TrainingFaults faults) {
            SplittableRandom root = new SplittableRandom(faults.seed());
            return new FaultDice[] {new FaultDice(faults, root.split()), new FaultDice(faults, root.split()),
                new FaultDice(faults, root.split())};
        }

        /** @return -1, or which of {@code points} places to crash at */
        synchronized int crashPoint(int points) {
            return faults.crashRate() > 0 && random.nextDouble() < faults.crashRate() ? random.nextInt(points) : -1;
        }

        synchronized boolean dropReply() {
            return faults.dropRate() > 0 && random.nextDouble() < faults.dropRate();
        }

        synchronized boolean slowReply() {
            return faults.slowRate() > 0 && random.nextDouble() < faults.slowRate();
        }

        synchronized boolean failWrite() {
            return faults.writeFailureRate() > 0 && random.nextDouble() < faults.writeFailureRate();
        }

        static void crashIf(boolean crash, String actor, long step, String where) {
            if (crash) {
                throw new InjectedFault("injected crash of the " + actor + " actor at step " + step + ", " + where);
            }
        }
    }

    /** A reply a slow stage holds back; sent when its timer fires. */
    record LateReply(ActorRef<?> to, Object message) implements DataMessage, ModelMessage {
        @SuppressWarnings("unchecked")
        void send() {
            ((ActorRef<Object>) to).tell(message);
        }
    }

    /**
     * Replies now, or never (a lost reply), or after {@code late} (a slow stage: later than the
     * coordinator waits, so that it asks again and then gets two answers), as the dice say.
     */
    private static <M> void reply(FaultDice dice, ActorContext<M> context, Duration late, ActorRef<?> to,
            Object message, M lateReply) {
        if (dice.dropReply()) {
            return;
        }
        if (dice.slowReply()) {
            context.timers().startSingle(new Object(), lateReply, late);
            return;
        }
        new LateReply(to, message).send();
    }

    // ------------------------------------------------------------------ data

    sealed interface DataMessage permits Fetch, LateReply {}

    record Fetch(long step, LoaderPosition at, ActorRef<? super Fetched> replyTo) implements DataMessage {}

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

    static final class DataActor implements Actor<DataMessage> {
        private final ActorContext<DataMessage> context;
        private final DataLoader loader;
        private final int accumulation;
        private final FaultDice dice;
        private final Duration late;

        DataActor(ActorContext<DataMessage> context, Dataset dataset, DataLoaderConfig config, int accumulation,
                FaultDice dice, Duration late) {
            this.context = context;
            this.loader = DataLoader.create(dataset, config);
            this.accumulation = accumulation;
            this.dice = dice;
            this.late = late;
        }

        @Override
        public void onMessage(DataMessage message) {
            switch (message) {
                case LateReply reply -> reply.send();
                case Fetch fetch -> {
                    FaultDice.crashIf(dice.crashPoint(1) == 0, "data", fetch.step(), "before loading the batch");
                    if (!loader.position().equals(fetch.at())) {
                        loader.seek(fetch.at());
                    }
                    List<Batch> batches = new ArrayList<>(accumulation);
                    do {
                        batches.add(loader.next());
                    } while (batches.size() < accumulation && loader.position().epoch() == batches.getFirst().epoch());
                    Fetched fetched = new Fetched(fetch.step(), List.copyOf(batches), loader.position());
                    reply(dice, context, late, fetch.replyTo(), fetched, new LateReply(fetch.replyTo(), fetched));
                }
            }
        }
    }

    // ------------------------------------------------------------------ model

    sealed interface ModelMessage permits Forward, Apply, TakeSnapshot, Validate, LateReply {}

    /**
     * A step's forward and backward pass, and its update too when {@code lr} is a number: the
     * coordinator fuses the update into the forward pass's turn when no checkpoint waits for
     * the parameters the update changes, which saves the step a round trip; NaN leaves the
     * update to an {@link Apply}. A non-finite loss is never applied.
     */
    record Forward(long step, List<Batch> batches, double lr, ActorRef<? super Forwarded> replyTo)
            implements ModelMessage {}

    /**
     * @param next the model's state after this step's forward pass: the next step's start
     * @param microBatches the parts each batch was split into
     * @param applied whether the step's update is done too
     */
    record Forwarded(long step, double loss, ModelCommit next, int microBatches, boolean applied) {}

    record Apply(long step, double lr, ActorRef<? super Applied> replyTo) implements ModelMessage {}

    record Applied(long step) {}

    /** Measure the model on the validation data (after {@code step} steps, {@code epoch} epochs). */
    record Validate(long step, int epoch, ActorRef<? super Validated> replyTo) implements ModelMessage {}

    record Validated(long step, int epoch, Trainer.Evaluation evaluation) {}

    /** Take the snapshot a checkpoint needs and hand it to the checkpoint actor. */
    record TakeSnapshot(Save save, ActorRef<Save> checkpoint) implements ModelMessage {}

    /** The model's small mutable state at the start of a step (step = steps completed before it). */
    record ModelCommit(long step, TrainingState.ModelState state) {}

    /**
     * What a restarted model actor takes up: the commits of the last step handled and of the
     * next, its splits, and the answer to the last forward pass whose update it applied (null
     * if the last one left the update to an {@link Apply}), which a repeated request gets again.
     */
    record ModelActorState(ModelCommit previous, ModelCommit next, MicroBatching microBatching, Forwarded applied) {
        ModelActorState splitInto(MicroBatching parts) {
            return new ModelActorState(previous, next, parts, applied);
        }
    }

    static final class ModelActor implements Actor<ModelMessage>, Snapshotting<ModelActorState> {
        private static final String[] CRASH_POINTS = {"before the forward pass", "after the forward pass",
            "after the backward pass"};
        private final ActorContext<ModelMessage> context;
        private final ModelResources owned;
        private final FaultDice dice;
        private final Duration late;
        private final ActorRefHolder<MetricsEvent> metrics;
        private ModelActorState state;

        ModelActor(ActorContext<ModelMessage> context, ModelResources owned, ModelCommit start, FaultDice dice,
                Duration late, ActorRefHolder<MetricsEvent> metrics) {
            this.context = context;
            this.owned = owned;
            this.dice = dice;
            this.late = late;
            this.metrics = metrics;
            this.state = new ModelActorState(null, start, MicroBatching.WHOLE, null);
        }

        @Override
        public ModelActorState snapshot() {
            return state;
        }

        @Override
        public void restore(ModelActorState snapshot) {
            state = snapshot;
        }

        @Override
        public void onMessage(ModelMessage message) {
            switch (message) {
                case LateReply reply -> reply.send();
                case Forward forward -> forward(forward);
                case Apply apply -> apply(apply);
                case TakeSnapshot take -> takeSnapshot(take);
                case Validate validate -> {
                    // Evaluation mode on this thread: no statistic, count or weight changes.
                    Validated validated = new Validated(validate.step(), validate.epoch(), Trainer.evaluate(
                            owned.model(), owned.validation().data(), owned.loader(), owned.task().loss()));
                    reply(dice, context, late, validate.replyTo(), validated,
                            new LateReply(validate.replyTo(), validated));
                }
            }
        }

        private void forward(Forward forward) {
            long step = forward.step();
            Forwarded done = state.applied();
            if (done != null && done.step() == step) {
                // Asked again after the update went in (the answer was lost or late): the same answer.
                reply(dice, context, late, forward.replyTo(), done, new LateReply(forward.replyTo(), done));
                return;
            }
            ModelCommit at = state.next().step() == step ? state.next()
                    : state.previous() != null && state.previous().step() == step ? state.previous() : null;
            if (at == null) {
                throw new IllegalStateException("the model actor was asked for step " + step + " but holds the state"
                        + " of step " + state.next().step());
            }
            int crashAt = dice.crashPoint(CRASH_POINTS.length);
            MicroBatching parts = state.microBatching();
            double loss;
            while (true) {
                owned.plan().restoreModelState(at.state());
                try {
                    loss = forwardBackward(forward.batches(), step, crashAt, parts.parts());
                    break;
                } catch (DeviceOutOfMemoryException e) {
                    int smallest = forward.batches().stream().mapToInt(Batch::size).min().orElseThrow();
                    MicroBatching split = parts.split(smallest);
                    if (split == null) {
                        throw e;
                    }
                    parts = split;
                    // Kept at once: a crash from here on retries with the split, not the whole batch.
                    state = state.splitInto(parts);
                    metrics.tell(new MetricsEvent.Recovered("oom", step, "out of memory (" + e.getMessage()
                            + "); each batch (of " + forward.batches().getFirst().size() + ") now split into "
                            + parts.parts() + " micro-batches with gradient accumulation"));
                }
            }
            ModelCommit next = new ModelCommit(step + 1, owned.plan().captureModelState());
            state = new ModelActorState(at, next, parts.succeeded(), null);
            boolean update = !Double.isNaN(forward.lr()) && Double.isFinite(loss);
            Forwarded forwarded = new Forwarded(step, loss, next, parts.parts(), update);
            if (update) {
                update(step, forward.lr());
                state = new ModelActorState(at, next, parts.succeeded(), forwarded);
            }
            reply(dice, context, late, forward.replyTo(), forwarded, new LateReply(forward.replyTo(), forwarded));
        }

        /**
         * Zeroes the gradients, then accumulates them over the step's batches and their
         * micro-batches, each part's loss weighted by its share of the step's samples (no weight
         * for a step of one whole batch, so that its arithmetic is the plain loss's); clips them
         * if the task says so. Returns the step's mean loss.
         */
        private double forwardBackward(List<Batch> batches, long step, int crashAt, int split) {
            FaultDice.crashIf(crashAt == 0, "model", step, CRASH_POINTS[0]);
            owned.model().zeroGrad();
            int samples = 0;
            for (Batch batch : batches) {
                samples += batch.size();
            }
            double total = 0;
            boolean first = true;
            for (Batch batch : batches) {
                int size = batch.size();
                int parts = Math.min(split, size);
                for (int part = 0; part < parts; part++) {
                    int from = (int) ((long) size * part / parts);
                    int to = (int) ((long) size * (part + 1) / parts);
                    Batch piece = parts == 1 ? batch : batch.range(from, to);
                    try (TensorScope scope = TensorScope.open(owned.backend())) {
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
            if (owned.task().clipGradNorm() > 0) {
                Clipping.clipGradNorm(owned.model().parameters(), owned.task().clipGradNorm());
            }
            FaultDice.crashIf(crashAt == 2, "model", step, CRASH_POINTS[2]);
            return total;
        }

        private Tensor lossOf(Batch batch, long step) {
            Tensor loss = owned.task().loss().compute(owned.model().forward(BatchTensors.inputs(batch)),
                    BatchTensors.targets(batch));
            if (loss.numel() != 1) {
                throw new IllegalArgumentException("the loss " + owned.task().loss().description() + " returned a"
                        + " tensor of shape " + Arrays.toString(loss.shape()) + " at step " + step + "; a loss must"
                        + " return one value (reduce it with mean() or sum())");
            }
            return loss.dim() == 0 ? loss : loss.reshape();
        }

        private void apply(Apply apply) {
            update(apply.step(), apply.lr());
            Applied applied = new Applied(apply.step());
            reply(dice, context, late, apply.replyTo(), applied, new LateReply(apply.replyTo(), applied));
        }

        /** Step {@code step}'s update, once: asked again after it went in, nothing happens. */
        private void update(long step, double lr) {
            Optimizer optimizer = owned.optimizer();
            if (optimizer.steps() == step) {
                FaultDice.crashIf(dice.crashPoint(1) == 0, "model", step, "before the update");
                optimizer.lr(lr);
                optimizer.step();
            } else if (optimizer.steps() != step + 1) {
                throw new IllegalStateException("the model actor was asked for update " + step + " but has done "
                        + optimizer.steps());
            }
        }

        /**
         * Takes the snapshot at the step boundary the save names (once: a retry hands on the same
         * one), then hands the save to the checkpoint actor. The parameters' and moments' memory
         * the snapshot refers to stays untouched until the coordinator lets the update after
         * next go, which it does once the checkpoint actor has copied it.
         */
        private void takeSnapshot(TakeSnapshot take) {
            Save save = take.save();
            if (save.snapshot().get() == null) {
                save.snapshot().set(owned.plan().snapshot(save.step(), save.position(), save.config(),
                        save.modelState(), save.validation()));
            }
            save.taken().complete(null);
            take.checkpoint().tell(save);
        }
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * Checkpoint the state after {@code step} completed steps: the model actor takes the
     * snapshot (then {@code taken}: the next update may go), the checkpoint actor copies it off
     * the device (then {@code copied}: the update after that may go) and writes it (then
     * {@code written}). {@code snapshot} keeps the snapshot once taken, so that a retry after a
     * crash copies the same one; {@code attempts} counts how often the request was sent again
     * after its handling kept crashing.
     */
    record Save(long step, LoaderPosition position, String config, TrainingState.ModelState modelState,
            double[] validation, AtomicReference<TrainingState.Snapshot> snapshot, CompletableFuture<Void> taken,
            CompletableFuture<Void> copied, CompletableFuture<Path> written, AtomicInteger attempts) {}

    static final class CheckpointActor implements Actor<Save> {
        private final ActorContext<Save> context;
        private final CheckpointStore store;
        private final FaultDice dice;
        private final ActorRefHolder<MetricsEvent> metrics;

        CheckpointActor(ActorContext<Save> context, CheckpointStore store, FaultDice dice,
                ActorRefHolder<MetricsEvent> metrics) {
            this.context = context;
            this.store = store;
            this.dice = dice;
            this.metrics = metrics;
        }

        @Override
        public void onMessage(Save save) {
            if (save.written().isDone()) {
                return; // sent again after a timeout, but written meanwhile
            }
            long start = context.nanoTime();
            FaultDice.crashIf(dice.crashPoint(1) == 0, "checkpoint", save.step(), "before the copy");
            Checkpoint checkpoint = save.snapshot().get().toCheckpoint();
            save.copied().complete(null);
            if (dice.failWrite()) {
                throw new InjectedFault("injected failure writing the checkpoint of step " + save.step());
            }
            Path file;
            try {
                file = store.write(checkpoint);
            } catch (IOException e) {
                // A crash: the restarted incarnation tries again; the coordinator gives up after
                // as many tries as a step may fail.
                throw new UncheckedIOException(e);
            }
            // Told before completing: the trainer's final flush of the metrics must count it.
            metrics.tell(new MetricsEvent.Checkpointed(checkpoint.step(), file,
                    Duration.ofNanos(context.nanoTime() - start)));
            save.written().complete(file);
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

        record Validated(int epoch, Trainer.Evaluation evaluation, boolean stopping) implements MetricsEvent {}

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
                case MetricsEvent.Validated v -> listener.validated(v.epoch(), v.evaluation().loss(),
                        v.evaluation().accuracy(), v.stopping());
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
