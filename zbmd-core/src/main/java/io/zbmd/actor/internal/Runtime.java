package io.zbmd.actor.internal;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorMetrics;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.AskRefusedException;
import io.zbmd.actor.AskTimeoutException;
import io.zbmd.actor.CrashReport;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.EventStream;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.InjectedFault;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.Registry;
import io.zbmd.actor.RuntimeMetrics;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.dispatch.DeterministicScheduler;
import io.zbmd.dispatch.DispatcherKind;
import io.zbmd.dispatch.internal.DeterministicDispatcher;
import io.zbmd.dispatch.internal.Dispatcher;
import io.zbmd.dispatch.internal.ForkJoinDispatcher;
import io.zbmd.dispatch.internal.RealTimerService;
import io.zbmd.dispatch.internal.TimerService;
import io.zbmd.dispatch.internal.WorkStealingDispatcher;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything an {@link ActorSystem} is made of: dispatcher, timers, the root of the actor
 * tree, registry, events, metrics, fault injection. The public {@link ActorSystem} is a
 * facade over it, and cells reach the system's parts through it.
 */
public final class Runtime {
    private static final Logger LOG = LoggerFactory.getLogger(Runtime.class);
    private static final Logger CRASH_LOG = LoggerFactory.getLogger("io.zbmd.actor.CrashReport");
    private static final Logger DEAD_LETTER_LOG = LoggerFactory.getLogger("io.zbmd.actor.DeadLetter");
    /** Dead letters logged at INFO before the rest go to DEBUG only (they are all counted). */
    private static final int DEAD_LETTERS_LOGGED = 10;

    final ActorSystem system;
    /** This node's incarnation, part of every address (see {@link ActorAddress}). */
    private final long incarnation;
    /**
     * Mixed into a deterministic system's seed for its incarnation, so that drawing it leaves
     * the interleaving's and the faults' random streams as they were.
     */
    private static final long INCARNATION_SALT = 0x6E6F64652D696E63L;
    private final ActorSystemConfig config;
    final Dispatcher dispatcher;
    final TimerService timers;
    final int reductionsPerTurn;
    final int defaultMailboxCapacity;
    final Metrics metrics = new Metrics();
    final RegistryImpl registry;
    private final EventStreamImpl events = new EventStreamImpl();
    /** Null unless fault injection is on: the hot paths test this field only. */
    final FaultInjector faults;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger deadLettersLogged = new AtomicInteger();
    private final RepeatedCrashes repeatedCrashes = new RepeatedCrashes();
    private final ActorCell<Void> root;
    private final CompletableFuture<Void> rootTerminated = new CompletableFuture<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Starts the runtime for a system.
     *
     * @param system the facade
     * @param config the validated configuration
     */
    public Runtime(ActorSystem system, ActorSystemConfig config) {
        this.system = system;
        this.config = config;
        this.reductionsPerTurn = config.reductionsPerTurn();
        this.defaultMailboxCapacity = config.mailboxCapacity();
        this.registry = new RegistryImpl(this);
        SplittableRandom faultRandom = null;
        this.incarnation = config.dispatcher() instanceof DispatcherKind.Deterministic deterministic
                ? new SplittableRandom(deterministic.seed() ^ INCARNATION_SALT).nextLong()
                : ThreadLocalRandom.current().nextLong() ^ System.currentTimeMillis();
        switch (config.dispatcher()) {
            case DispatcherKind.WorkStealing ignored -> {
                this.timers = new RealTimerService(config.name());
                this.dispatcher = new WorkStealingDispatcher(config.name(), config.workers(), timers);
            }
            case DispatcherKind.ForkJoin ignored -> {
                this.timers = new RealTimerService(config.name());
                this.dispatcher = new ForkJoinDispatcher(config.name(), config.workers(), timers);
            }
            case DispatcherKind.Deterministic deterministic -> {
                DeterministicDispatcher simulated = new DeterministicDispatcher(deterministic.seed());
                this.dispatcher = simulated;
                this.timers = simulated.timers();
                faultRandom = simulated.split();
            }
        }
        if (config.faultInjection().enabled()) {
            SplittableRandom random =
                    faultRandom != null ? faultRandom : new SplittableRandom(config.faultInjection().seed());
            this.faults = new FaultInjector(config.faultInjection(), this, random);
            LOG.info("actor system '{}' injects faults: {}", config.name(), config.faultInjection());
        } else {
            this.faults = null;
        }
        this.root = new ActorCell<>(this, null, "", defaultMailboxCapacity, context -> message -> {
            throw new IllegalStateException("the root actor takes no messages");
        });
        root.faultExempt = true;
        root.start();
    }

    /** @return the configuration */
    public ActorSystemConfig config() {
        return config;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    /** @return the address of this node's actor (or reply ref) number {@code id} */
    ActorAddress address(long id) {
        return new ActorAddress(config.name(), incarnation, id);
    }

    // ---------------------------------------------------------------- spawning

    /**
     * Spawns a child of the root.
     *
     * @param options name and capacity
     * @param factory makes the instances
     * @param <M> the message type
     * @return the new actor
     */
    public <M> ActorRef<M> spawnTopLevel(SpawnOptions options, ActorFactory<M> factory) {
        checkTopLevel(options);
        return root.spawnChild(options, factory);
    }

    /**
     * Spawns a process actor under the root.
     *
     * @param options name and capacity
     * @param body the process body
     * @param <M> the message type
     * @return the new actor
     */
    public <M> ActorRef<M> spawnTopLevelProcess(SpawnOptions options, ProcessActor<M> body) {
        checkTopLevel(options);
        return root.spawnProcessChild(options, body);
    }

    private void checkTopLevel(SpawnOptions options) {
        Objects.requireNonNull(options, "options must not be null");
        if (closed.get()) {
            throw new IllegalStateException(
                    "ActorSystem '" + config.name() + "' is closed: spawning is not possible; create a new system");
        }
        if (options.link()) {
            throw new IllegalArgumentException("a top-level actor has no spawning actor to link to;"
                    + " spawn it from an actor's context to link it, or link it later with ActorContext.link");
        }
    }

    /** @return this node's incarnation */
    public long incarnation() {
        return incarnation;
    }

    /**
     * Resolves a ref of this system to its cell.
     *
     * @param ref a ref
     * @return its cell
     * @throws IllegalArgumentException if the ref is not an actor of this system
     */
    ActorCell<?> cellOf(ActorRef<?> ref) {
        Objects.requireNonNull(ref, "actor ref must not be null");
        if (ref instanceof ActorCell<?> cell && cell.runtime == this) {
            return cell;
        }
        throw notOurs(ref);
    }

    /**
     * Resolves a ref to where its system messages go: its cell, or a proxy of this system's
     * for an actor on another node.
     *
     * @param ref a ref
     * @return its target
     * @throws IllegalArgumentException if this system cannot reach the ref's actor
     */
    public SystemTarget targetOf(ActorRef<?> ref) {
        Objects.requireNonNull(ref, "actor ref must not be null");
        if (ref instanceof SystemTarget target && target.runtime() == this) {
            return target;
        }
        throw notOurs(ref);
    }

    private IllegalArgumentException notOurs(ActorRef<?> ref) {
        return new IllegalArgumentException(ref + " is not an actor of system '" + config.name()
                + "' (an ask reply ref, or an actor of another system)");
    }

    /**
     * Stops an actor with reason shutdown.
     *
     * @param ref the actor
     */
    public void stop(ActorRef<?> ref) {
        targetOf(ref).sendSystem(new SystemMessage.Stop(ExitReason.SHUTDOWN));
    }

    /** {@link io.zbmd.actor.ActorSystem#exit}: an exit signal from the root. */
    public void exitFromOutside(ActorRef<?> ref, ExitReason reason) {
        targetOf(ref).sendSystem(new SystemMessage.ExitSignal(root, reason, false));
    }

    /**
     * @param ref an actor of this system or an ask's reply ref
     * @return completes once the ref can receive nothing more: the actor ended, or the ask
     *     completed or timed out
     * @throws IllegalArgumentException for any other ref
     */
    public CompletableFuture<?> endOf(ActorRef<?> ref) {
        if (ref instanceof AskRef<?> reply && reply.runtime == this) {
            return reply.future.handle((value, error) -> null);
        }
        return terminationOf(ref);
    }

    /**
     * @param ref an actor
     * @return its exit reason once it has ended
     */
    public CompletableFuture<ExitReason> terminationOf(ActorRef<?> ref) {
        SystemTarget target = targetOf(ref);
        CompletableFuture<ExitReason> result = new CompletableFuture<>();
        target.sendSystem(new SystemMessage.Monitor((monitor, actor, reason) -> result.complete(reason),
                new MonitorRef(nextId(), target.ref())));
        return result;
    }

    // ---------------------------------------------------------------- asking

    /**
     * Asks {@code target} (an actor of this system, or a remote actor's proxy): a one-shot
     * reply ref, the request built around it, a timeout.
     */
    public <M, R> CompletableFuture<R> ask(ActorRef<M> target, Function<ActorRef<R>, ? extends M> request,
            Duration timeout) {
        Objects.requireNonNull(request, "request must not be null");
        Objects.requireNonNull(timeout, "ask timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(
                    "ask timeout must be positive, got " + timeout + " (asking " + target.path() + ")");
        }
        AskRef<R> reply = new AskRef<>(this, target.path());
        M message = request.apply(reply);
        Objects.requireNonNull(message, () -> "the request built for ask to " + target.path() + " is null");
        DeadLetterReason refused = null;
        if (target instanceof ActorCell<M> cell) {
            if (faults == null || !faults.interceptSend(cell, message)) {
                refused = cell.enqueue(message);
            }
        } else {
            target.tell(message);
        }
        if (refused != null) {
            reply.future.completeExceptionally(new AskRefusedException("ask to " + target.path() + " with a "
                    + message.getClass().getSimpleName() + " was refused: " + describe(refused), refused));
            return reply.future;
        }
        String what = message.getClass().getSimpleName();
        reply.installTimeout(timers.schedule(timeout.toNanos(), () -> reply.future.completeExceptionally(
                new AskTimeoutException("no reply from " + target.path() + " to a " + what + " within "
                        + timeout.toMillis() + " ms"))));
        return reply.future;
    }

    private static String describe(DeadLetterReason reason) {
        return switch (reason) {
            case MAILBOX_FULL -> "its mailbox is full; retry later or give it a larger mailbox capacity";
            case TERMINATED -> "the actor has ended";
            default -> reason.name();
        };
    }

    // ---------------------------------------------------------------- events

    void deadLetter(String recipient, Object message, DeadLetterReason reason) {
        deadLetter(recipient, message, reason, null);
    }

    /**
     * Records a message that was not delivered: counted, published on the event stream, the
     * first few logged.
     */
    public void deadLetter(String recipient, Object message, DeadLetterReason reason, Throwable cause) {
        metrics.deadLetter(reason);
        if (events.hasSubscribers()) {
            events.publish(new DeadLetter(recipient, message, reason, cause));
        }
        if (reason != DeadLetterReason.INJECTED_DROP && DEAD_LETTER_LOG.isInfoEnabled()
                && deadLettersLogged.get() < DEAD_LETTERS_LOGGED
                && deadLettersLogged.incrementAndGet() <= DEAD_LETTERS_LOGGED) {
            DEAD_LETTER_LOG.info("dead letter ({}) to {}: a {}{}", reason, recipient, message.getClass().getSimpleName(),
                    deadLettersLogged.get() == DEAD_LETTERS_LOGGED
                            ? "; further dead letters are counted in metrics and logged at DEBUG only"
                            : "");
        } else if (DEAD_LETTER_LOG.isDebugEnabled()) {
            DEAD_LETTER_LOG.debug("dead letter ({}) to {}: {}", reason, recipient, message);
        }
    }

    void crashReport(ActorCell<?> cell, Throwable failure, Object message) {
        String what = message == null ? "outside a message" : "handling a " + message.getClass().getSimpleName();
        ChildSupervision supervision = cell.supervision();
        String supervisor = supervision == null ? null : supervision.supervisorPath;
        String childId = supervision == null ? null : supervision.childId;
        int restarts = supervision == null ? 0 : supervision.restarts;
        String who = supervision == null
                ? cell.path()
                : cell.path() + " (child '" + childId + "' of " + supervisor + ", " + restarts + " restarts)";
        if (failure instanceof InjectedFault) {
            // Expected by whoever turned injection on: counted and published, logged quietly.
            metrics.injectedCrash();
            CRASH_LOG.debug("crash report: {} crashed {} ({})", who, what, failure.getMessage());
        } else {
            long times = repeatedCrashes.count(cell.path(), failure);
            if (times == 1) {
                CRASH_LOG.error("crash report: {} crashed {}: {}", who, what, failure.toString(), failure);
            } else if (Long.bitCount(times) == 1) {
                CRASH_LOG.error("crash report: {} crashed {} the same way again, {} times now: {}", who, what, times,
                        failure.getMessage());
            } else {
                CRASH_LOG.debug("crash report: {} crashed {} the same way again, {} times now", who, what, times);
            }
        }
        if (events.hasSubscribers()) {
            events.publish(new CrashReport(cell.path(), failure, message, supervisor, childId, restarts));
        }
    }

    void stopHookFailed(ActorCell<?> cell, Throwable failure) {
        LOG.warn("onStop of {} threw; the actor has ended anyway", cell.path(), failure);
    }

    void terminated(ActorCell<?> cell) {
        if (cell == root) {
            rootTerminated.complete(null);
        } else {
            metrics.terminated();
        }
    }

    /** @return the registry */
    public Registry registry() {
        return registry;
    }

    /** @return the event stream */
    public EventStream events() {
        return events;
    }

    /** @return a metrics snapshot */
    public RuntimeMetrics metrics() {
        return metrics.snapshot(timers.pending());
    }

    /**
     * @param ref an actor
     * @return its counters
     */
    public ActorMetrics metricsOf(ActorRef<?> ref) {
        return cellOf(ref).metricsNow();
    }

    /** @return the deterministic scheduler */
    public DeterministicScheduler deterministic() {
        if (dispatcher instanceof DeterministicDispatcher deterministic) {
            return deterministic;
        }
        throw new IllegalStateException("ActorSystem '" + config.name() + "' uses " + config.dispatcher()
                + "; create it with ActorSystemConfig.deterministic(seed) to drive it step by step");
    }

    /** @return the dispatcher, for tests and benchmarks of the scheduler itself */
    public Dispatcher dispatcher() {
        return dispatcher;
    }

    // ---------------------------------------------------------------- closing

    /** @return whether close has been called */
    public boolean isClosed() {
        return closed.get();
    }

    /** @return completes when the system has fully stopped */
    public CompletableFuture<Void> whenTerminated() {
        return terminated;
    }

    /** Stops every actor, children first, then the workers; see {@link ActorSystem#close()}. */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        root.sendSystem(new SystemMessage.Stop(ExitReason.SHUTDOWN));
        long timeoutNanos = config.shutdownTimeout().toNanos();
        if (dispatcher instanceof DeterministicDispatcher deterministic) {
            if (!deterministic.runUntil(rootTerminated::isDone, config.shutdownTimeout())) {
                LOG.error("actor system '{}' did not stop within {} of virtual time: {} actors still alive",
                        config.name(), config.shutdownTimeout(), metrics().actorsAlive());
            }
            finishClose(timeoutNanos);
            return;
        }
        if (dispatcher.isDispatcherThread() || ProcessCell.isProcessThreadOf(this)) {
            // Waiting here would block a thread the shutdown needs: finish from elsewhere.
            rootTerminated.whenComplete((ignored, error) ->
                    Thread.ofPlatform().name(config.name() + "-closer").start(() -> finishClose(timeoutNanos)));
            return;
        }
        try {
            rootTerminated.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.error("actor system '{}' did not stop within {}: {} actors still alive; stopping the workers anyway",
                    config.name(), config.shutdownTimeout(), metrics().actorsAlive());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("bug: root termination failed", e);
        }
        finishClose(timeoutNanos);
    }

    private void finishClose(long timeoutNanos) {
        dispatcher.shutdown(timeoutNanos);
        timers.shutdown();
        terminated.complete(null);
    }
}
