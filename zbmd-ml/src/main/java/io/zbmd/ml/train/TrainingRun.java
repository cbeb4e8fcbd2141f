package io.zbmd.ml.train;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.dispatch.DispatcherKind;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.LrSchedule;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.train.TrainingActors.ActorRefHolder;
import io.zbmd.ml.train.TrainingActors.Applied;
import io.zbmd.ml.train.TrainingActors.Apply;
import io.zbmd.ml.train.TrainingActors.CheckpointActor;
import io.zbmd.ml.train.TrainingActors.DataActor;
import io.zbmd.ml.train.TrainingActors.DataMessage;
import io.zbmd.ml.train.TrainingActors.FaultDice;
import io.zbmd.ml.train.TrainingActors.Fetch;
import io.zbmd.ml.train.TrainingActors.Fetched;
import io.zbmd.ml.train.TrainingActors.Forward;
import io.zbmd.ml.train.TrainingActors.Forwarded;
import io.zbmd.ml.train.TrainingActors.MetricsActor;
import io.zbmd.ml.train.TrainingActors.MetricsEvent;
import io.zbmd.ml.train.TrainingActors.ModelActor;
import io.zbmd.ml.train.TrainingActors.ModelCommit;
import io.zbmd.ml.train.TrainingActors.ModelMessage;
import io.zbmd.ml.train.TrainingActors.ModelResources;
import io.zbmd.ml.train.TrainingActors.Save;
import io.zbmd.ml.train.TrainingActors.TakeSnapshot;
import io.zbmd.ml.train.TrainingActors.Validate;
import io.zbmd.ml.train.TrainingActors.Validated;
import io.zbmd.supervision.ChildInfo;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.RestartCounting;
import io.zbmd.supervision.RestartType;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * One run of {@link Trainer#fit} in this process: the actor system, the supervisor and its
 * four children, and the step coordinator that drives them.
 *
 * <p>The coordinator is an actor too, on the same dispatcher: it tells each stage's actor what
 * to do with itself as the reply address, and a reply is a message like any other. A stage's
 * request and its reply then pass from actor to actor on one worker thread (the dispatcher
 * runs the actor just sent to next, on the same worker), without waking a thread or blocking
 * one on a future: three round trips per step cost microseconds, not the tens of
 * microseconds a thread handoff costs. A lost reply is noticed by a watchdog tick that
 * compares the stage's age with its timeout.
 */
final class TrainingRun {
    /**
     * How often a message whose handling crashed is handed to the restarted actor, before it
     * is given up and the coordinator sends it again (each crash counts as a failure of the
     * step either way: see {@link FailureLimits}).
     */
    static final int RETRIES_PER_CRASH = 10;
    /**
     * The shortest wait for a stage before it is asked again. Shorter finds lost messages
     * sooner; but a JIT compilation or a GC pause early in a run can hold a stage for a few
     * hundred milliseconds, and a timeout then is a needless (if harmless) retry.
     */
    static final Duration MIN_STAGE_TIMEOUT = Duration.ofSeconds(1);
    /**
     * How often the coordinator looks for a stage that has waited too long, and hands the
     * metrics actor the steps since its last look. Each look wakes an idle worker thread, which
     * on a machine whose cores all compute takes its time from the step; a look every 200 ms
     * adds at most that to the stage timeout (at least {@link #MIN_STAGE_TIMEOUT}) and to the
     * delay of progress reports.
     */
    static final Duration WATCHDOG_PERIOD = Duration.ofMillis(200);
    /**
     * How far a run under the deterministic dispatcher may move its virtual clock: only lost
     * replies (a stage timeout each) and checkpoint waits move it, so a run that gets this far
     * has stalled.
     */
    static final Duration VIRTUAL_TIME_LIMIT = Duration.ofDays(365);
    /** The actors a step's stages run on. */
    private static final Set<String> STAGES = Set.of("data", "model");
    /** Numbers the runs under callers' supervisors, whose names must differ within a system. */
    private static final AtomicLong RUNS = new AtomicLong();

    /** What the model actor owns; the run only builds it and hands it over. */
    private final ModelResources owned;
    private final ModelCommit startCommit;
    private final Dataset dataset;
    private final DataLoaderConfig loaderConfig;
    private final LoaderPosition startPosition;
    private final String description;
    private final FaultDice[] dice;
    /** How late a slow stage's reply comes: after the coordinator has asked again. */
    private final Duration late;
    private final ActorRefHolder<MetricsEvent> metricsHolder = new ActorRefHolder<>();
    final TrainingMetrics metrics;
    final TrainerConfig config;
    final CheckpointStore store;
    final long startStep;
    final long totalSteps;
    final String runConfig;
    final ActorSystem system;
    /** Whether {@link #system} is the run's own (closed at the end) or the caller's. */
    private final boolean ownSystem;
    /** The run's supervisor's id under the caller's supervisor; null with a system of its own. */
    private final String childId;
    final Supervisor supervisor;
    private volatile ActorRef<Object> coordinator;
    /** Set by {@link #cancel()}, for a coordinator that has not started yet. */
    private volatile boolean cancelled;
    final ActorRef<DataMessage> data;
    final ActorRef<ModelMessage> model;
    final ActorRef<Save> checkpoint;
    final ActorRef<MetricsEvent> metricsActor;
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    /** Set by the coordinator; read after the run. */
    volatile double lastEpochLoss = Double.NaN;
    /** From the coordinator's start to the first committed step, on the actors' clock; null if none. */
    volatile Duration firstStepAfterStart;
    /** The most failures one step of this run had before it committed. */
    volatile int mostStepFailures;
    /** The most parts a batch was split into after out-of-memory errors. */
    volatile int mostMicroBatches = 1;
    /** The steps completed, here and before a resume. */
    volatile long completedSteps;
    /** Whether early stopping ended the run (here, or before a resume). */
    volatile boolean stoppedEarly;
    /** Early stopping's state at the start: best score, validations since, stopped (1). */
    private final double[] startValidation;

    /** Starts the actors (not the steps). */
    TrainingRun(Module net, Optimizer optimizer, DataLoader loader, TrainerConfig config, CheckpointStore store, long startStep,
            long totalSteps, String runConfig, double[] startValidation) {
        this.config = config;
        this.metrics = new TrainingMetrics(config.meterRegistry() != null ? config.meterRegistry()
                : new SimpleMeterRegistry());
        this.store = store;
        this.startStep = startStep;
        this.totalSteps = totalSteps;
        this.runConfig = runConfig;
        Backend backend = net.parameters().getFirst().backend();
        TrainingState.SnapshotPlan plan = new TrainingState.SnapshotPlan(net, optimizer);
        this.owned = new ModelResources(net, optimizer, plan, backend, config.task(), loader.config(),
                config.validation());
        this.startValidation = startValidation != null ? startValidation.clone()
                : new double[] {Double.NEGATIVE_INFINITY, 0, 0};
        this.completedSteps = startStep;
        this.startCommit = new ModelCommit(startStep, plan.captureModelState());
        this.dataset = loader.dataset();
        this.loaderConfig = loader.config();
        this.startPosition = loader.position();
        this.dice = FaultDice.perActor(config.faults());
        this.late = config.limits().stageTimeout().multipliedBy(2);
        long stepsPerEpoch = Trainer.stepsPerEpoch(loader, config.task());
        this.description = String.format(Locale.ROOT, "%,d parameters, %,d training examples, %d steps per epoch,"
                + " %s%s%s", net.parameterCount(), dataset.size(), stepsPerEpoch, backend.device().name(),
                config.runConfig().isEmpty() ? "" : "; " + config.runConfig(),
                config.faults().enabled() ? "; injecting faults " + config.faults() : "");
        this.ownSystem = config.parent() == null;
        this.system = ownSystem ? ActorSystem.create(config.actors()) : config.parent().system();
        this.childId = ownSystem ? null : "training-" + RUNS.incrementAndGet();
        try {
            this.supervisor = startActors(store);
        } catch (RuntimeException | Error e) {
            if (ownSystem) {
                system.close();
            }
            throw e;
        }
        // One request for the four refs: each request is a round trip to the supervisor.
        Map<String, ActorRef<?>> children = await(supervisor.children(), config.limits().stageTimeout()).stream()
                .filter(child -> child.ref() != null)
                .collect(Collectors.toMap(ChildInfo::id, ChildInfo::ref));
        this.data = child(children, "data");
        this.model = child(children, "model");
        this.checkpoint = child(children, "checkpoint");
        this.metricsActor = child(children, "metrics");
        metricsHolder.set(metricsActor);
    }

    /**
     * Starts the run's supervisor: at the top of its own system, or as a temporary child of the
     * caller's supervisor (never restarted by it: whether the run goes on is the coordinator's
     * decision, from the give-up rule).
     */
    private Supervisor startActors(CheckpointStore store) {
        SupervisorSpec spec = trainingSpec(store);
        if (ownSystem) {
            return Supervisors.start(system, "training", spec);
        }
        Supervisor parent = config.parent();
        await(parent.startChild(ChildSpec.supervisor(childId, spec).withRestart(RestartType.TEMPORARY)),
                config.limits().stageTimeout());
        return await(parent.childSupervisor(childId), config.limits().stageTimeout())
                .orElseThrow(() -> new IllegalStateException("no " + childId + " supervisor under " + parent));
    }

    private SupervisorSpec trainingSpec(CheckpointStore store) {
        FailureLimits limits = config.limits();
        return SupervisorSpec.restForOne()
                .withIntensity(limits.unrecoveredRestarts(), limits.restartPeriod())
                .withRestartCounting(RestartCounting.UNRECOVERED)
                .withChild(ChildSpec.<DataMessage>worker("data", context -> new DataActor(context, dataset,
                        loaderConfig, config.task().accumulation(), dice[0], late)).withRetries(RETRIES_PER_CRASH))
                // On a device, the model actor owns the device's queue: it runs on a thread of its own,
                // so that a device stuck in a kernel holds that thread and none of the shared ones.
                .withChild(ChildSpec.<ModelMessage>worker("model", context -> new ModelActor(context, owned,
                        startCommit, dice[1], late, metricsHolder)).withRetries(RETRIES_PER_CRASH)
                        .withPinnedThread(!(owned.backend() instanceof CpuBackend)))
                .withChild(ChildSpec.<Save>worker("checkpoint", context -> new CheckpointActor(context, store,
                        dice[2], metricsHolder)).withRetries(RETRIES_PER_CRASH))
                .withChild(ChildSpec.worker("metrics", () -> new MetricsActor(config.listener(), metrics)));
    }

    @SuppressWarnings("unchecked")
    private static <M> ActorRef<M> child(Map<String, ActorRef<?>> children, String id) {
        ActorRef<?> ref = children.get(id);
        if (ref == null) {
            throw new IllegalStateException("no " + id + " actor");
        }
        return (ActorRef<M>) ref;
    }

    /**
     * Waits for something the actors complete: by blocking on real dispatchers, by running the
     * actors on this thread under the deterministic one (which runs nothing by itself).
     *
     * @param limit how long to wait on a real dispatcher
     * @throws TimeoutException (wrapped in a {@link TrainingFailedException}) if it does not complete
     */
    private <T> T await(CompletableFuture<T> future, Duration limit) {
        try {
            if (system.config().dispatcher() instanceof DispatcherKind.Deterministic) {
                if (!system.deterministic().runUntil(future::isDone, VIRTUAL_TIME_LIMIT)) {
                    throw new TimeoutException("the simulated run stalled at " + Duration.ofNanos(
                            system.deterministic().nanoTime()) + " of virtual time: nothing to run and no timer due");
                }
                return future.get();
            }
            return future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TrainingFailedException failed) {
                throw failed;
            }

            throw new TrainingFailedException("the step coordinator failed: " + e.getCause(), e.getCause());
        } catch (CancellationException e) {
            throw cancellation(e);
        } catch (TimeoutException e) {
            throw new TrainingFailedException(e.getMessage() == null ? "no answer within " + limit : e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingFailedException("interrupted", e);
        }
    }

    /**
     * Runs the steps and waits for the last checkpoint to be durable.
     *
     * @throws TrainingFailedException if a step kept failing, the supervisor gave up, or a
     *     checkpoint could not be written
     */
    void train() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ActorRef<Object> coordinator = system.<Object>spawn(ownSystem ? "coordinator" : childId + "-coordinator",
                context -> new Coordinator(context, done));
        this.coordinator = coordinator;
        // The caller's system may host other supervisors: only this run's events count.
        String ours = supervisor.ref().path();
        subscriptions.add(system.events().subscribe(SupervisionEvent.ChildCrashed.class, crashed -> {
            if (crashed.supervisor().equals(ours)) {
                coordinator.tell(new Coordination.Crashed(crashed.childId(), crashed.reason()));
            }
        }));
        subscriptions.add(system.events().subscribe(SupervisionEvent.GaveUp.class, gaveUp -> {
            if (gaveUp.supervisor().equals(ours)) {
                coordinator.tell(new Coordination.GaveUp(gaveUp));
            }
        }));
        subscriptions.add(system.events().subscribe(DeadLetter.class, letter -> {
            if (letter.reason() == DeadLetterReason.CRASHED && letter.recipient().startsWith(ours + "/")) {
                coordinator.tell(new Coordination.GivenUp(letter));
            }
        }));
        coordinator.tell(new Coordination.Begin());
        await(done, Duration.ofNanos(Long.MAX_VALUE));
    }

    /**
     * @return the {@link TrainingCancelledException} a cancelled future's {@code get} wraps
     *     (CompletableFuture throws a new CancellationException whose cause is the original)
     */
    static TrainingCancelledException cancellation(CancellationException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TrainingCancelledException cancelled) {
                return cancelled;
            }
        }
        throw e;
    }

    /** @return a crash as its user reads it: what failed, without the exception's class name */
    private static String inWords(ExitReason reason) {
        if (reason instanceof ExitReason.Crash crash && crash.cause() != null) {
            Throwable cause = unwrapped(crash.cause());
            return "crashed: " + (cause instanceof Exception e ? CheckpointStore.reason(e)
                    : String.valueOf(cause.getMessage()));
        }
        return reason.toString();
    }

    /** @return the I/O error a checkpoint actor's crash carries, or the crash's cause itself */
    private static Throwable unwrapped(Throwable cause) {
        return cause instanceof java.io.UncheckedIOException io ? io.getCause() : cause;
    }

    /** Tells the listener of a recovered failure. */
    private void recovered(String cause, long step, String detail) {
        metricsActor.tell(new MetricsEvent.Recovered(cause, step, detail));
    }

    /** Waits for the metrics actor to handle what it was sent, then stops the actors. */
    void stop() {
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        metricsActor.tell(new MetricsEvent.Flush(flushed));
        try {
            await(flushed, config.limits().stageTimeout());
        } catch (TrainingFailedException e) {
            // the counts may then miss the last events; the weights are not affected
        }
        for (AutoCloseable subscription : subscriptions) {
            try {
                subscription.close();
            } catch (Exception e) {
                // nothing to do
            }
        }
        if (ownSystem) {
            system.close();
            return;
        }
        // Under the caller's supervisor: the run's subtree and coordinator go, the system stays.
        ActorRef<Object> spawned = coordinator;
        if (spawned != null) {
            system.stop(spawned);
        }
        try {
            await(config.parent().terminateChild(childId), config.limits().stageTimeout());
            await(config.parent().deleteChild(childId), config.limits().stageTimeout());
        } catch (TrainingFailedException e) {
            // the parent has ended: it took the run's supervisor with it
        }
    }

    /**
     * Asks the run to stop at the next step boundary, after a checkpoint of it (when the run
     * checkpoints) is durable; the run then ends with a {@link TrainingCancelledException}.
     */
    void cancel() {
        cancelled = true;
        ActorRef<Object> spawned = coordinator;
        if (spawned != null) {
            spawned.tell(new Coordination.Cancel());
        }
    }

    /** What the coordinator handles: the stages' replies, and its own events. */
    sealed interface Coordination {
        record Begin() implements Coordination {}

        record Tick() implements Coordination {}

        /** A checkpoint's copy is done: the update it waited for may go. */
        record CopyDone(long step) implements Coordination {}

        /** All checkpoints written (or one failed). */
        record WritesDone(Throwable failure) implements Coordination {}

        /** A request dead-lettered after its actor kept crashing on it. */
        record GivenUp(DeadLetter letter) implements Coordination {}

        /** The caller cancelled the run. */
        record Cancel() implements Coordination {}

        /** One of the supervisor's children crashed (it is restarted in place). */
        record Crashed(String childId, ExitReason reason) implements Coordination {}

        /** The supervisor reached its intensity: an actor in a restart loop. */
        record GaveUp(SupervisionEvent.GaveUp event) implements Coordination {}
    }

    private enum Stage { FETCH, FORWARD, WAIT_COPY, APPLY, VALIDATE, FINISHING, DONE }

    /**
     * Drives the steps: one stage at a time, each idempotent, each asked again when lost. It
     * also keeps the give-up rule's count ({@link FailureLimits}): the failures of the step in
     * flight, from crash events and timeouts, started again at every commit. Time comes from
     * its context, so that it runs the same under the deterministic dispatcher.
     */
    private final class Coordinator implements Actor<Object> {
        private final ActorContext<Object> context;
        private final CompletableFuture<Void> done;
        private final ActorRef<Object> self;
        private final FailureLimits limits = config.limits();
        private final LrSchedule schedule = config.task().schedule().create(config.task().learningRate(), totalSteps);
        private final List<Pending> writes = new ArrayList<>();
        private List<MetricsEvent.Stepped> unsent = new ArrayList<>();
        private Stage stage = Stage.FETCH;
        private long step;
        private LoaderPosition position;
        private Fetched fetched;
        private Forwarded forwarded;
        /** Failures of the step in flight (crashes of its stages' actors, timeouts). */
        private int failures;
        private String lastFailure = "none";
        /** The exception of the last crash of a stage, the cause of a give-up (a lost device's error). */
        private Throwable lastCause;
        /**
         * The first crash of the step in flight that was not a fault (not injected, not a device
         * error or out-of-memory): its actor, exception type and message; null if none.
         */
        private String firstError;
        /** Whether the caller asked the run to stop at the next step boundary. */
        private boolean cancelRequested;
        /** Why the run stops once the checkpoints under way are written; null while it goes on. */
        private RuntimeException stopping;
        /** When a stage's actor first crashed during the stage in flight; -1 if it has not. */
        private long crashedAt = -1;
        private long stageStart;
        private long stepStart;
        private long runStart;
        private long epochStart;
        private double epochLoss;
        private int epochSteps;
        private long samples;
        /**
         * Per stage kind (fetch, forward, apply), the slowest recent one: the maximum, decaying
         * by 1 % per stage so that warm-up is forgotten. Kept apart because they differ by
         * orders of magnitude: a forward pass must not be timed by the fetches.
         */
        private final double[] slowestNanos = new double[4];
        /** Per stage kind, whether one has completed (until then the configured timeout holds). */
        private final boolean[] completedOnce = new boolean[4];
        /** Early stopping: the best score so far, and validations since it. */
        private double bestScore;
        private int sinceBest;
        /** The commit a validation in flight belongs to. */
        private long validating;
        private int validatingEpoch;
        /** Checkpoints whose parameters and moments an update could still overwrite before they are copied. */
        private final List<Pending> uncopied = new ArrayList<>();
        /** The checkpoint stage the coordinator waits for, in {@code WAIT_COPY}. */
        private CompletableFuture<Void> waitingOn;
        private Pending waitingFor;
        private long writesWaitStart;

        @SuppressWarnings("unchecked")
        Coordinator(ActorContext<?> context, CompletableFuture<Void> done) {
            this.context = (ActorContext<Object>) context;
            this.self = this.context.self();
            this.done = done;
        }

        @Override
        public void onMessage(Object message) {
            if (stage == Stage.DONE) {
                return;
            }
            switch (message) {
                case Coordination.Begin b -> begin();
                case Fetched f when stage == Stage.FETCH && f.step() == step -> {
                    stageDone();
                    fetched = f;
                    forward();
                }
                case Forwarded f when stage == Stage.FORWARD && f.step() == step -> {
                    stageDone();
                    forwarded = f;
                    if (f.microBatches() > mostMicroBatches) {
                        mostMicroBatches = f.microBatches();
                    }
                    if (f.applied()) {
                        commit();
                    } else if (Double.isFinite(f.loss())) {
                        apply();
                    } else {
                        stopAfterWrites(new TrainingFailedException("the loss is " + f.loss() + " at step " + step
                                + " (loss " + config.task().loss().description() + ", learning rate "
                                + schedule.lr(step) + "); the run stopped before this step's update"
                                + (store == null ? "" : ", and the checkpoints in " + store.directory()
                                        + " are kept (the run resumes from them)")
                                + ". Lower the learning rate, clip the gradients, or check the data.", null));
                    }
                }
                case Coordination.CopyDone c when stage == Stage.WAIT_COPY -> apply();
                case Applied a when stage == Stage.APPLY && a.step() == step -> {
                    stageDone();
                    commit();
                }
                case Validated v when stage == Stage.VALIDATE && v.step() == validating -> {
                    stageDone();
                    validated(v);
                }
                case Coordination.Tick t -> watchdog();
                case Coordination.Crashed c -> crashed(c.childId(), c.reason());
                case Coordination.GivenUp g -> givenUp(g.letter());
                case Coordination.GaveUp g -> fail(new TrainingFailedException("the training supervisor gave up at step "
                        + step + ": " + g.event().restarts() + " restarts within " + seconds(g.event().period())
                        + " (limit " + limits.unrecoveredRestarts() + ") with no message handled by the restarted"
                        + " actor in between, a restart loop; last failure: " + lastFailure + resumeHint(),
                        lastCause));
                case Coordination.WritesDone w -> writesDone(w.failure());
                case Coordination.Cancel c -> cancelRequested = true;
                default -> {} // a reply to an earlier attempt: the stage has moved on
            }
        }

        @Override
        public void onStop(ExitReason reason) {
            if (!done.isDone()) {
                Throwable cause = reason instanceof ExitReason.Crash crash ? crash.cause() : null;
                done.completeExceptionally(new TrainingFailedException("the step coordinator stopped at step " + step
                        + ": " + reason, cause));
            }
        }

        private void begin() {
            metricsActor.tell(new MetricsEvent.Started(startStep, totalSteps,
                    (totalSteps + config.epochs() - 1) / config.epochs(), description));
            cancelRequested = cancelled;
            bestScore = startValidation[0];
            sinceBest = (int) startValidation[1];
            stoppedEarly = startValidation[2] != 0;
            runStart = context.nanoTime();
            epochStart = runStart;
            step = startStep;
            position = startPosition;
            context.timers().startPeriodic("watchdog", new Coordination.Tick(), WATCHDOG_PERIOD);
            if (stoppedEarly) {
                finish(); // early stopping ended this run before it was resumed
                return;
            }
            nextStep();
        }

        private void nextStep() {
            if (step >= totalSteps) {
                finish();
                return;
            }
            stepStart = context.nanoTime();
            failures = 0;
            firstError = null;
            fetch();
        }

        private void fetch() {
            stage = Stage.FETCH;
            stageStart = context.nanoTime();
            data.tell(new Fetch(step, position, self));
        }

        /** Sends the forward pass, with the update when no checkpoint has to see it first (see {@link #apply()}). */
        private void forward() {
            stage = Stage.FORWARD;
            stageStart = context.nanoTime();
            passCheckpoints();
            double lr = uncopied.stream().allMatch(p -> gate(p) == null) ? schedule.lr(step) : Double.NaN;
            model.tell(new Forward(step, fetched.batches(), lr, self));
        }

        /**
         * Sends the update, unless a checkpoint still needs what it changes: the update right
         * after a checkpoint changes the optimizer's counts and exchanges the buffers, so it
         * waits for the snapshot to be taken; the one after that overwrites the buffers the
         * snapshot refers to, so it waits for the copy. Both are normally done by then (the
         * checkpoint actor works during the forward pass).
         */
        private void apply() {
            long now = context.nanoTime();
            if (waitingFor != null) {
                waitingFor.stallNanos += now - waitingFor.waitStart;
                waitingFor = null;
            }
            for (Pending p : uncopied) {
                CompletableFuture<Void> gate = gate(p);
                if (gate != null) {
                    stage = Stage.WAIT_COPY;
                    waitingFor = p;
                    p.waitStart = now;
                    if (gate != waitingOn) {
                        waitingOn = gate;
                        gate.whenComplete((v, e) -> self.tell(new Coordination.CopyDone(p.step)));
                    }
                    return;
                }
            }
            passCheckpoints();
            sendApply();
        }

        /** @return what this step's update waits for before it may change what checkpoint {@code p} refers to; null if nothing */
        private CompletableFuture<Void> gate(Pending p) {
            return step == p.step && !p.save.taken().isDone() ? p.save.taken()
                    : step >= p.step + 1 && !p.save.copied().isDone() ? p.save.copied() : null;
        }

        /** Forgets the checkpoints that no update can touch any more, reporting their stalls. */
        private void passCheckpoints() {
            uncopied.removeIf(p -> {
                boolean passed = step >= p.step + 1 && p.save.copied().isDone();
                if (passed) {
                    metricsActor.tell(new MetricsEvent.CheckpointStalled(p.stallNanos));
                }
                return passed;
            });
        }

        private void sendApply() {
            stage = Stage.APPLY;
            stageStart = context.nanoTime();
            model.tell(new Apply(step, schedule.lr(step), self));
        }

        private void sendSteps() {
            if (!unsent.isEmpty()) {
                metricsActor.tell(new MetricsEvent.SteppedBatch(List.copyOf(unsent)));
                unsent = new ArrayList<>();
            }
        }

        private void stageDone() {
            long now = context.nanoTime();
            int kind = kind();
            slowestNanos[kind] = Math.max(0.99 * slowestNanos[kind], now - stageStart);
            completedOnce[kind] = true;
            if (crashedAt >= 0) {
                metricsActor.tell(new MetricsEvent.RecoveryTimed(now - crashedAt));
                crashedAt = -1;
            }
        }

        /** The update is in, the model actor holds the next state: the position moves on. */
        private void commit() {
            position = fetched.next();
            long completed = step + 1;
            samples += fetched.samples();
            epochLoss += forwarded.loss();
            epochSteps++;
            long now = context.nanoTime();
            long elapsed = now - runStart;
            if (firstStepAfterStart == null) {
                firstStepAfterStart = Duration.ofNanos(elapsed);
            }
            if (failures > mostStepFailures) {
                mostStepFailures = failures;
            }
            int epoch = fetched.epoch() + 1;
            double samplesPerSecond = elapsed > 0 ? samples / (elapsed / 1e9) : 0;
            unsent.add(new MetricsEvent.Stepped(new TrainingListener.Progress(completed, totalSteps, epoch,
                    forwarded.loss(), samplesPerSecond, Duration.ofNanos(elapsed)), now - stepStart));
            boolean epochEnded = position.epoch() > fetched.epoch() || completed == totalSteps;
            if (epochEnded) {
                sendSteps();
                lastEpochLoss = epochLoss / epochSteps;
                metricsActor.tell(new MetricsEvent.EpochEnded(epoch, lastEpochLoss,
                        Duration.ofNanos(now - epochStart)));
                epochLoss = 0;
                epochSteps = 0;
                epochStart = now;
            }
            Validation validation = config.validation();
            if (validation != null && epochEnded
                    && (epoch % validation.everyEpochs() == 0 || completed == totalSteps)) {
                // Measured before the commit's checkpoint, so that the checkpoint holds its result.
                validating = completed;
                validatingEpoch = epoch;
                stage = Stage.VALIDATE;
                stageStart = context.nanoTime();
                model.tell(new Validate(completed, epoch, self));
                return;
            }
            afterCommit(completed);
        }

        /** Early stopping's bookkeeping after a validation; then the rest of the commit. */
        private void validated(Validated v) {
            Validation validation = config.validation();
            double score = validation.score(v.evaluation());
            if (Double.isNaN(score)) {
                fail(new TrainingFailedException("early stopping watches the " + validation.metric() + ", which is"
                        + " not defined for the validation data " + validation.data().name() + " (is its target"
                        + " a class index?)", null));
                return;
            }
            if (score > bestScore + validation.minDelta()) {
                bestScore = score;
                sinceBest = 0;
            } else {
                sinceBest++;
            }
            stoppedEarly = validation.patience() > 0 && sinceBest >= validation.patience() && validating < totalSteps;
            metricsActor.tell(new MetricsEvent.Validated(v.epoch(), v.evaluation(), stoppedEarly));
            afterCommit(validating);
        }

        /** The commit's end: its checkpoint, then the next step, or the run's end. */
        private void afterCommit(long completed) {
            boolean cancelling = cancelRequested && completed < totalSteps;
            if (store != null && (completed == totalSteps || cancelling || stoppedEarly
                    || config.checkpointEvery() > 0 && completed % config.checkpointEvery() == 0)) {
                checkpoint(completed);
            }
            for (Pending write : writes) {
                if (write.save.written().isCompletedExceptionally()) {
                    fail(writeFailure(write));
                    return;
                }
            }
            writes.removeIf(write -> write.save.written().isDone());
            step = completed;
            completedSteps = completed;
            if (stoppedEarly) {
                finish();
                return;
            }
            if (cancelling) {
                stopAfterWrites(new TrainingCancelledException(completed, store == null ? null
                        : store.directory().resolve(CheckpointStore.fileName(completed))));
                return;
            }
            nextStep();
        }

        /**
         * Hands the checkpoint actor what it needs to take a snapshot at this commit: the step,
         * the data position, and the model's state at the step boundary (the model actor's
         * commit, which the next forward pass does not touch). The actor takes the snapshot
         * and copies it while the next step runs; see {@link #apply()} for what waits for it.
         */
        private void checkpoint(long completed) {
            long start = context.nanoTime();
            double[] validation = config.validation() == null ? null
                    : new double[] {bestScore, sinceBest, stoppedEarly ? 1 : 0};
            Pending p = new Pending(completed, new Save(completed, position, runConfig, forwarded.next().state(),
                    validation,
                    new AtomicReference<>(), new CompletableFuture<>(), new CompletableFuture<>(),
                    new CompletableFuture<>(), new AtomicInteger()));
            uncopied.add(p);
            writes.add(p);
            sendSave(p.save);
            p.stallNanos = context.nanoTime() - start;
        }

        /** Stops the run once the checkpoints under way are durable: the last good one is kept. */
        private void stopAfterWrites(RuntimeException failure) {
            stopping = failure;
            finish();
        }

        private void finish() {
            stage = Stage.FINISHING;
            sendSteps();
            for (Pending p : uncopied) {
                metricsActor.tell(new MetricsEvent.CheckpointStalled(p.stallNanos));
            }
            uncopied.clear();
            writesWaitStart = context.nanoTime();
            CompletableFuture.allOf(writes.stream().map(w -> w.save.written()).toArray(CompletableFuture[]::new))
                    .whenComplete((v, e) -> self.tell(new Coordination.WritesDone(e)));
        }

        private void writesDone(Throwable failure) {
            if (stage != Stage.FINISHING) {
                return;
            }
            for (Pending write : writes) {
                if (write.save.written().isCompletedExceptionally()) {
                    fail(writeFailure(write));
                    return;
                }
            }
            if (failure == null && stopping != null) {
                fail(stopping);
            } else if (failure == null) {
                stage = Stage.DONE;
                context.timers().cancelAll();
                done.complete(null);
            }
        }

        private TrainingFailedException writeFailure(Pending write) {
            Throwable cause;
            try {
                write.save.written().getNow(null);
                cause = null;
            } catch (java.util.concurrent.CompletionException e) {
                cause = e.getCause();
            }
            cause = unwrapped(cause);
            return new TrainingFailedException("cannot write the checkpoint of step " + write.step + " to "
                    + store.directory() + ": " + (cause instanceof Exception e ? CheckpointStore.reason(e) : "unknown"),
                    cause);
        }

        /**
         * An actor crashed and is being restarted in place: reported as a recovery; if it is one
         * of the stages' actors, a failure of the step in flight.
         */
        private void crashed(String childId, ExitReason reason) {
            lastFailure = childId + ": " + inWords(reason);
            lastCause = reason instanceof ExitReason.Crash crash ? crash.cause() : null;
            recovered(Trainer.causeOf(reason), step, "the " + childId + " actor crashed (" + reason
                    + ") and was restarted in place");
            if (STAGES.contains(childId) && stage != Stage.FINISHING) {
                if (crashedAt < 0) {
                    crashedAt = context.nanoTime();
                }
                if (repeatsAnError(childId, reason)) {
                    return;
                }
                stepFailed();
            }
        }

        /**
         * A bug is not a fault: a stage that fails again from the same committed state with
         * the same exception type and message will fail every time, so the run stops at the
         * second such failure with the first one's report, instead of retrying until the limit.
         * Faults (injected crashes, device errors, out-of-memory) are retried as before.
         *
         * @return whether the run was stopped
         */
        private boolean repeatsAnError(String childId, ExitReason reason) {
            if (!(reason instanceof ExitReason.Crash crash) || !"error".equals(Trainer.causeOf(reason))) {
                return false;
            }
            Throwable cause = crash.cause();
            String signature = childId + "|" + cause.getClass().getName() + "|" + cause.getMessage();
            if (firstError == null) {
                firstError = signature;
                return false;
            }
            if (!firstError.equals(signature)) {
                return false;
            }
            fail(new TrainingFailedException("step " + step + " failed twice the same way in the " + childId
                    + " actor, so it will fail every time: " + describe(cause) + ". This is a bug in the model, the"
                    + " loss or the data (not a fault to retry); the run stopped without changing anything of this"
                    + " step" + resumeHint(), cause));
            return true;
        }

        private static String describe(Throwable cause) {
            return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }

        /** Counts a failure of the step in flight; past the limit, the run stops. */
        private void stepFailed() {
            if (++failures > limits.failuresPerStep()) {
                fail(new TrainingFailedException("step " + step + " failed " + failures + " times (limit "
                        + limits.failuresPerStep() + "), last at its " + stageName() + " stage; last failure: "
                        + lastFailure + resumeHint(), lastCause));
            }
        }

        private static String seconds(Duration duration) {
            return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
        }

        private String resumeHint() {
            return store == null ? "" : "; run the same command again to resume from the newest checkpoint in "
                    + store.directory();
        }

        /** Looks for a stage (or the final writes) that has waited longer than its timeout. */
        private void watchdog() {
            sendSteps();
            long now = context.nanoTime();
            if (stage == Stage.FINISHING) {
                if (now - writesWaitStart > limits.stageTimeout().toNanos()) {
                    writesWaitStart = now;
                    for (Pending write : writes) {
                        if (!write.save.written().isDone() && !resend(write, "written")) {
                            return;
                        }
                    }
                }
                return;
            }
            if (stage == Stage.WAIT_COPY) {
                // The checkpoint actor's crashes are retried and its give-ups sent again; this is
                // for a request it lost.
                if (now - waitingFor.waitStart > limits.stageTimeout().toNanos()) {
                    waitingFor.stallNanos += now - waitingFor.waitStart;
                    waitingFor.waitStart = now;
                    resend(waitingFor, "copied");
                }
                return;
            }
            Duration timeout = stageTimeout();
            if (now - stageStart > timeout.toNanos()) {
                lastFailure = "no answer from the " + stageName() + " actor within " + timeout.toMillis() + " ms";
                if (stageName().equals("model")) {
                    // The model actor computes on the model's device: a step it never answers, every
                    // time it is asked, is a device that does not answer, hung or gone (a migration's cue).
                    lastCause = new DeviceException("no answer from " + owned.backend().device().name()
                            + " within " + timeout.toMillis() + " ms: the device does not answer (hung?)");
                }
                recovered("timeout", step, lastFailure + "; asked again");
                stepFailed();
                if (stage != Stage.DONE) {
                    sendStage();
                }
            }
        }

        /** Sends a checkpoint again after a timeout; @return false if it has been tried too often (the run fails) */
        private boolean resend(Pending pending, String what) {
            if (++pending.resends > limits.failuresPerStep()) {
                fail(new TrainingFailedException("the checkpoint of step " + pending.step + " was not " + what
                        + " in " + pending.resends + " tries; last failure: " + lastFailure, null));
                return false;
            }
            recovered("timeout", pending.step, "checkpoint not " + what + " within "
                    + limits.stageTimeout().toMillis() + " ms; sent again");
            sendSave(pending.save);
            return true;
        }

        /**
         * Sends a checkpoint on its way: to the model actor to take its snapshot, or, once
         * taken, straight to the checkpoint actor.
         */
        private void sendSave(Save save) {
            if (save.taken().isDone()) {
                checkpoint.tell(save);
            } else {
                model.tell(new TakeSnapshot(save, checkpoint));
            }
        }

        /**
         * A request given up after repeated crashes (each already counted as a failure of the
         * step): asked again at once, or a checkpoint sent again.
         */
        private void givenUp(DeadLetter letter) {
            switch (letter.message()) {
                case Fetch f when stage == Stage.FETCH && f.step() == step -> sendStage();
                case Forward f when stage == Stage.FORWARD && f.step() == step -> sendStage();
                case Apply a when stage == Stage.APPLY && a.step() == step -> sendStage();
                case Validate v when stage == Stage.VALIDATE && v.step() == validating -> sendStage();
                case TakeSnapshot take -> saveGivenUp(take.save(), letter);
                case Save save -> saveGivenUp(save, letter);
                default -> {}
            }
        }

        /** A checkpoint whose snapshot or write kept crashing: sent again, up to the step's limit. */
        private void saveGivenUp(Save save, DeadLetter letter) {
            if (save.attempts().incrementAndGet() <= limits.failuresPerStep()) {
                sendSave(save);
                return;
            }
            Throwable cause = unwrapped(letter.cause());
            save.written().completeExceptionally(cause != null ? cause
                    : new IllegalStateException("the checkpoint actor kept crashing"));
            if (stage != Stage.FINISHING) {
                fail(new TrainingFailedException("cannot write the checkpoint of step " + save.step() + " to "
                        + store.directory() + " (" + (save.attempts().get() - 1) + " tries): "
                        + (cause instanceof Exception e ? CheckpointStore.reason(e) : lastFailure), cause));
            }
        }

        /** Sends the request of the stage in flight again. */
        private void sendStage() {
            switch (stage) {
                case FETCH -> fetch();
                case FORWARD -> forward();
                case APPLY -> sendApply();
                case VALIDATE -> model.tell(new Validate(validating, validatingEpoch, self));
                default -> {}
            }
        }

        private String stageName() {
            return switch (stage) {
                case FETCH -> "data";
                case FORWARD -> "model";
                case APPLY, WAIT_COPY, VALIDATE -> "model";
                default -> "checkpoint";
            };
        }

        /** @return the index of the stage in flight among fetch, forward and apply */
        private int kind() {
            return switch (stage) {
                case FETCH -> 0;
                case FORWARD -> 1;
                case VALIDATE -> 3;
                default -> 2;
            };
        }

        /** The configured timeout until a stage of this kind has completed once, then 20 times the slowest recent one. */
        private Duration stageTimeout() {
            int kind = kind();
            if (!completedOnce[kind]) {
                return limits.stageTimeout();
            }
            long adaptive = Math.max(MIN_STAGE_TIMEOUT.toNanos(), (long) (20 * slowestNanos[kind]));
            return Duration.ofNanos(Math.min(adaptive, limits.stageTimeout().toNanos()));
        }

        /** Ends the run with {@code failure}: a {@link TrainingFailedException}, or a cancellation. */
        private void fail(RuntimeException failure) {
            sendSteps();
            stage = Stage.DONE;
            context.timers().cancelAll();
            done.completeExceptionally(failure);
        }
    }

    /** A checkpoint on its way to disk, as the coordinator tracks it. */
    private static final class Pending {
        final long step;
        final Save save;
        /** The coordinator's time on this checkpoint so far. */
        long stallNanos;
        long waitStart;
        int resends;

        Pending(long step, Save save) {
            this.step = step;
            this.save = save;
        }
    }
}
