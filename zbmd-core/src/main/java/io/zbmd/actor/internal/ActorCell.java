package io.zbmd.actor.internal;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.IgnoreStart;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.Signal;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.actor.Timers;
import io.zbmd.dispatch.internal.DeterministicDispatcher;
import io.zbmd.dispatch.internal.Dispatcher;
import io.zbmd.dispatch.internal.PinnedDispatcher;
import io.zbmd.dispatch.internal.Task;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One actor: its mailbox, its system-message stack, its place in the tree, its links and
 * monitors, and the current instance of its behaviour. The cell is the actor's
 * {@link ActorRef} (refs are the cell itself, so they survive restarts and cost nothing
 * extra). Its {@link ActorContext} is another object, a {@link CellContext} handed to each
 * incarnation, which works only on the thread running the actor's turn: a ref cannot be cast
 * into a context, and a context that escaped its actor fails loudly.
 *
 * <h2>Scheduling</h2>
 * A cell is runnable when it has system messages, or queued messages and is running. The
 * {@code scheduled} flag makes sure it is queued in the dispatcher at most once: a sender
 * that flips it from 0 to 1 hands the cell to the dispatcher; the turn clears it at the end
 * and then looks at the queues once more (see {@link #release()}). A turn handles system
 * messages first, then up to {@code reductionsPerTurn} reductions of messages.
 *
 * <h2>Lifecycle</h2>
 * {@code NEW} (being started by its spawner, which owns it until {@link #start()} ends),
 * {@code RUNNING}, {@code PAUSED} (a supervised child its supervisor is about to stop for a
 * restart of several children: it takes no messages, only system messages, until then),
 * {@code SUSPENDED} (a supervised child after a crash, waiting for its
 * supervisor to restart it in place: see {@link ChildSupervision}), {@code TERMINATING}
 * (children are being stopped; only system messages are handled), {@code TERMINATED} (final:
 * sends become dead letters; system messages are answered by their senders as to a dead
 * actor). Only the cell's owner (the thread running its turn) moves its state, forward except
 * for a restart (suspended to running).
 *
 * <h2>The tree</h2>
 * A parent's children form an intrusive doubly linked list that only the parent's owner
 * touches: it adds children when it spawns, and removes one when the child's
 * {@code ChildTerminated} system message arrives (as Pekko's parents learn of their
 * children's deaths). The root is the exception: {@code ActorSystem.spawn} adds top-level
 * actors from any thread, so the root's list is guarded by its monitor.
 *
 * <h2>Memory</h2>
 * An idle cell costs about a hundred bytes: the mailbox (a linked queue of
 * {@value Mailbox#EMPTY_BYTES} bytes when empty, see {@link Mailbox}) is allocated on the
 * first message, and links, monitors, timers and names live in an {@link Extra} allocated
 * on first use.
 *
 * @param <M> the actor's message type
 */
public class ActorCell<M> extends Task implements ActorRef<M>, SystemTarget {
    private static final long serialVersionUID = 1L;

    static final int NEW = 0;
    static final int RUNNING = 1;
    /** A supervised child waiting to be stopped for a restart of several; see pauseOnRequest. */
    static final int PAUSED = 2;
    /** A supervised child between a crash (or a requested stop) and its restart. */
    static final int SUSPENDED = 3;
    static final int TERMINATING = 4;
    static final int TERMINATED = 5;

    /**
     * Every this many queued messages (a power of two: a default turn's worth) a sender tells
     * the dispatcher that this actor has a backlog, so that it is not held back behind the
     * sender's own turn; see {@code Dispatcher.backlogged}.
     */
    private static final int BACKLOG = 64;

    /** How long a sender waits for a full mailbox's consumer to take a message; see awaitDraining. */
    private static final long DRAIN_PATIENCE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How many looks at the consumer index without progress go with that time. */
    private static final int DRAIN_PATIENCE_LOOKS = 10_000;
    /**
     * Looks (16 pauses apart, some 30 µs in all) that spin before the sender yields its
     * processor between looks: on a busy machine the consumer may be waiting for this one.
     */
    private static final int DRAIN_SPINS = 50;

    /** Marks a terminated cell's system stack: senders answer for the dead actor. */
    static final SystemMessage CLOSED = new SystemMessage.Closed();

    private static final VarHandle SCHEDULED;
    private static final VarHandle MAILBOX;
    private static final VarHandle SYS_HEAD;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SCHEDULED = lookup.findVarHandle(ActorCell.class, "scheduled", int.class);
            MAILBOX = lookup.findVarHandle(ActorCell.class, "mailbox", Mailbox.class);
            SYS_HEAD = lookup.findVarHandle(ActorCell.class, "sysHead", SystemMessage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final transient Runtime runtime;
    final transient ActorCell<?> parent;
    final long id;
    final String name;
    final int capacity;
    private final transient ActorFactory<M> factory;
    /** The current instance; null before start, after a failed start, and once ended. */
    transient Actor<M> actor;

    private volatile int scheduled;
    volatile int state;
    transient volatile Mailbox mailbox;
    private transient volatile SystemMessage sysHead;
    /** Never the target of injected faults (the root, supervisors). */
    boolean faultExempt;
    /** The consumer index at which a sender last waited in vain for room; see awaitDraining. */
    private volatile long stalledAt = -1;
    /** Set once the registry gave this actor a name; see RegistryImpl.register. */
    volatile boolean hasNames;
    /** Written before {@code state = TERMINATED}, read after seeing it. */
    volatile ExitReason exitReason;

    // The tree: an intrusive doubly linked list of children; see the class comment.
    private transient ActorCell<?> firstChild;
    private transient ActorCell<?> nextSibling;
    private transient ActorCell<?> prevSibling;

    /** Links, monitors, timers, names, pending signals: allocated on first use, owner only. */
    transient Extra extra;
    private int turnCost;
    private int mailboxHighWater;
    private long processed;

    /** Runs this actor's turns: the system's, or a thread of its own; set before its start. */
    private Dispatcher dispatcher;
    /**
     * The actor's context, made before its first factory call (a process cell's, when the cell
     * is made) and handed to every incarnation. Each turn marks it as the turn's
     * ({@link CellContext#owner}): a write to an object that only the actor's own turns touch,
     * never to the cell, whose fields senders read.
     */
    transient CellContext<M> context;

    ActorCell(Runtime runtime, ActorCell<?> parent, String name, int capacity, ActorFactory<M> factory) {
        this.runtime = runtime;
        this.parent = parent;
        this.id = runtime.nextId();
        this.name = name;
        this.capacity = capacity;
        this.factory = factory;
        this.dispatcher = runtime.dispatcher;
        // Owned by the spawner until start() releases it: sends meanwhile only queue.
        this.scheduled = 1;
    }

    // ---------------------------------------------------------------- sending

    @Override
    public final void tell(M message) {
        Objects.requireNonNull(message, () -> "message must not be null (tell to " + path() + ")");
        FaultInjector faults = runtime.faults;
        if (faults != null && faults.interceptSend(this, message)) {
            return;
        }
        DeadLetterReason refused = enqueue(message);
        while (refused == DeadLetterReason.MAILBOX_FULL && awaitDraining()) {
            refused = enqueue(message);
        }
        if (refused != null) {
            runtime.deadLetter(path(), message, refused);
        }
    }

    /**
     * A tell from inside another actor found this mailbox full. If this actor is taking
     * messages on another thread, the sender waits for room for as long as it keeps taking
     * them: a producer flooding a consumer that keeps up on average is slowed to its pace
     * instead of losing messages, as Pekko's bounded mailbox blocks a sender for its push
     * timeout. Unlike that timeout, the wait ends once the consumer has taken nothing for
     * {@link #DRAIN_PATIENCE_NANOS}: a stuck, slow or unscheduled consumer costs the sender
     * that much once, and then its messages become dead letters at once until it takes
     * another ({@code stalledAt}). Outside actors use {@code offer(message, timeout)}; on one
     * thread (one worker, or the deterministic dispatcher) there is nobody to wait for.
     *
     * @return whether the mailbox may have room now
     */
    private boolean awaitDraining() {
        Dispatcher dispatcher = runtime.dispatcher;
        Mailbox queue = mailbox;
        if (queue == null || !dispatcher.isDispatcherThread() || !dispatcher.runsInParallel()) {
            return false;
        }
        long taken = queue.consumerIndex();
        if (taken == stalledAt) {
            return false;
        }
        dispatcher.backlogged(this); // if it waits in this worker's LIFO slot, let others take it
        // Both a time and a number of looks without progress: a pause of the whole JVM (a
        // collection) passes the time but not the looks, and must not count as a stall.
        long deadline = System.nanoTime() + DRAIN_PATIENCE_NANOS;
        int looks = 0;
        while (queue.size() >= capacity) {
            if (state == TERMINATED) {
                return false;
            }
            long now = queue.consumerIndex();
            if (now != taken) {
                taken = now;
                looks = 0;
                deadline = System.nanoTime() + DRAIN_PATIENCE_NANOS;
            } else if (++looks >= DRAIN_PATIENCE_LOOKS && System.nanoTime() - deadline > 0) {
                stalledAt = taken;
                return false;
            }
            if (looks < DRAIN_SPINS) {
                // Between looks, so that the consumer's index stays in its own cache while it
                // drains: each look takes that line away from it.
                for (int pause = 0; pause < 16; pause++) {
                    Thread.onSpinWait();
                }
            } else {
                Thread.yield(); // the consumer's thread may be waiting for this processor
            }
        }
        return true;
    }

    @Override
    public final boolean offer(M message) {
        Objects.requireNonNull(message, () -> "message must not be null (offer to " + path() + ")");
        return enqueue(message) == null;
    }

    @Override
    public final boolean offer(M message, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(message, () -> "message must not be null (offer to " + path() + ")");
        Objects.requireNonNull(timeout, "timeout");
        // Refused even when there is room, so that code that works on a quiet system does not
        // start blocking dispatcher threads under load.
        if (runtime.dispatcher.isDispatcherThread()) {
            throw new IllegalStateException("offer with a timeout would block a dispatcher thread (offer to "
                    + path() + "); from inside an actor use tell or offer without a timeout");
        }
        DeadLetterReason first = enqueue(message);
        if (first != DeadLetterReason.MAILBOX_FULL) {
            return first == null;
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        Mailbox queue = mailbox;
        queue.register();
        boolean registered = true;
        try {
            for (;;) {
                DeadLetterReason refused = enqueue(message);
                if (refused == null) {
                    // Woken by the consumer or another producer: pass the wake-up on while
                    // there is room (see Mailbox).
                    queue.deregister();
                    registered = false;
                    if (queue.hasWaiters() && queue.hasRoom()) {
                        queue.wakeOne();
                    }
                    return true;
                }
                long remaining = deadline - System.nanoTime();
                if (refused == DeadLetterReason.TERMINATED || remaining <= 0) {
                    return false;
                }
                LockSupport.parkNanos(queue, remaining);
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for room in " + path());
                }
            }
        } finally {
            if (registered) {
                queue.deregister();
                if (queue.hasWaiters() && queue.hasRoom()) {
                    queue.wakeOne(); // leaving: the wake-up this producer may have had goes on
                }
            }
        }
    }

    @Override
    public final <R> CompletableFuture<R> ask(Function<ActorRef<R>, ? extends M> request, Duration timeout) {
        return runtime.ask(this, request, timeout);
    }

    /**
     * Queues a message (or a timer envelope) and makes sure the cell will run.
     *
     * @return null if queued, else why not (the caller decides whether that is a dead letter)
     */
    final DeadLetterReason enqueue(Object message) {
        if (state == TERMINATED) {
            return DeadLetterReason.TERMINATED;
        }
        Mailbox queue = mailbox;
        if (queue == null) {
            queue = createMailbox();
        }
        int queued = queue.offer(message);
        if (queued == 0) {
            return DeadLetterReason.MAILBOX_FULL;
        }
        // The offer's CAS on the mailbox's tail is a full fence, so this read of `state`
        // cannot be satisfied before the message is counted in the queue. If the actor has
        // terminated meanwhile, its final drain may have missed the message: drain again
        // here so that it becomes a dead letter rather than a silent loss.
        if (state == TERMINATED) {
            drainToDeadLetters();
            return null;
        }
        signalWork();
        if ((queued & (BACKLOG - 1)) == 0 && queue.size() >= BACKLOG) {
            dispatcher.backlogged(this);
        }
        return null;
    }

    private Mailbox createMailbox() {
        Mailbox created = new Mailbox(capacity);
        if (MAILBOX.compareAndSet(this, null, created)) {
            return created;
        }
        return mailbox;
    }

    /**
     * Pushes a system message on the lock-free stack (Treiber) and makes sure the cell runs.
     * On a terminated cell the sender answers for it ({@link #answerAsDead}).
     */
    @Override
    public final void sendSystem(SystemMessage message) {
        for (;;) {
            SystemMessage head = sysHead;
            if (head == CLOSED) {
                answerAsDead(message);
                return;
            }
            message.next = head;
            // Release: the message's fields (and `next`) are visible to whoever pops it.
            if (SYS_HEAD.compareAndSet(this, head, message)) {
                break;
            }
        }
        signalWork();
        afterSystemMessage(message);
    }

    /**
     * A supervisor's request to a child, what a {@link SystemMessage.Control} would run on the
     * child's turn: when the child is idle (neither queued nor running), it runs now on the
     * supervisor's thread instead, as a turn of the child's own, after the system messages
     * that were already waiting; the mailbox, and whatever the request sends the cell itself
     * (a crashed message to retry), wait for the child's own turn. The child's answer then
     * waits on the supervisor's system stack, which the supervisor's current turn goes on to
     * read. A busy child gets the request as a Control.
     *
     * <p>OTP's supervisor stops and starts children one at a time and waits for each (a
     * selective receive for the {@code 'DOWN'}, {@code proc_lib}'s acknowledgement of
     * {@code init}), so taking the child's turn here changes who runs it, not what waits for
     * what: a one-for-all restart of a hundred idle children costs no thread hand-offs.
     *
     * <p>A pinned child's turns run on its own thread only (its restart opens what that thread
     * owns): it always gets the request as a Control.
     *
     * @return whether the request ran now
     */
    boolean controlNow(Consumer<ActorCell<?>> request) {
        if (!(dispatcher instanceof PinnedDispatcher) && scheduled == 0 && SCHEDULED.compareAndSet(this, 0, 1)) {
            CellContext<M> turn = context;
            if (turn != null) {
                turn.owner = Thread.currentThread();
            }
            try {
                processSystemBatch(); // what was sent before comes first
                if (state != TERMINATED) {
                    request.accept(this);
                }
            } finally {
                if (turn != null) {
                    turn.owner = null;
                }
                release(false);
            }
            return true;
        }
        // Owned by a turn, queued or running: it will see the request (see signalWork).
        sendSystem(new SystemMessage.Control(request));
        return false;
    }

    /** Hook for process cells, which interrupt their thread for a stop or a kill. */
    void afterSystemMessage(SystemMessage message) {}

    final boolean hasSystemMessages() {
        SystemMessage head = sysHead;
        return head != null && head != CLOSED;
    }

    /** Hands the cell to its dispatcher unless it is already queued or running. */
    void signalWork() {
        // Producer side of the Dekker pair with release(): the caller's CAS (mailbox or
        // system stack) is a full fence before this read of `scheduled`.
        if (scheduled == 0 && SCHEDULED.compareAndSet(this, 0, 1)) {
            dispatcher.execute(this);
        }
    }

    // ---------------------------------------------------------------- running

    /** Runs the factory and {@code onStart} on the spawner's thread, then releases the cell. */
    void start() {
        CellContext<M> made = new CellContext<>(this);
        context = made;
        made.owner = Thread.currentThread();
        try {
            Actor<M> instance = factory.create(made);
            if (instance == null) {
                throw new IllegalStateException("the factory of " + path() + " returned null instead of an actor");
            }
            actor = instance;
            state = RUNNING;
            instance.onStart();
            takeFirstSnapshot(instance);
            checkStopRequested();
        } catch (Throwable failure) {
            actor = null; // a failed start gets no onStop, as OTP's init
            state = RUNNING;
            ChildSupervision supervision = supervision();
            if (failure instanceof IgnoreStart && supervision != null && supervision.starting) {
                supervision.startIgnored = true; // OTP's ignore: not a failure, nothing to report
                beginTermination(ExitReason.NORMAL);
            } else if (supervision != null && supervision.starting) {
                // The supervisor's own start fails; it reads the cause right after spawning.
                supervision.startFailure = failure;
                runtime.crashReport(this, failure, null);
                beginTermination(ExitReason.crash(failure));
            } else {
                crash(failure, null);
            }
        } finally {
            made.owner = null;
            ChildSupervision supervision = supervision();
            if (supervision != null) {
                supervision.starting = false;
            }
            release(false);
        }
    }

    @Override
    public void runTurn() {
        CellContext<M> turn = context;
        if (turn != null) {
            turn.owner = Thread.currentThread();
        }
        try {
            if (sysHead != null) {
                processSystemMessages();
            }
            if (state == RUNNING) {
                processMailbox(runtime.reductionsPerTurn);
            }
        } finally {
            if (turn != null) {
                turn.owner = null;
            }
            release(true);
        }
    }

    /**
     * Ends the turn: clears {@code scheduled}, then runs again if work arrived meanwhile.
     *
     * <p>Consumer side of the Dekker pair with {@link #signalWork()}: the volatile write of
     * {@code scheduled} is followed by a StoreLoad fence, so the reads of the queues below
     * see every message whose sender read {@code scheduled == 1}.
     *
     * @param endOfTurn true at the end of a turn (running again is a yield), false after the
     *     spawner's start
     */
    final void release(boolean endOfTurn) {
        scheduled = 0;
        // After the fence above: a producer that registered while this turn's last poll
        // looked (see Mailbox) is seen here.
        Mailbox queue = mailbox;
        if (queue != null && queue.hasWaiters() && queue.size() <= capacity / 2) {
            queue.wakeOne();
        }
        if (hasWork() && SCHEDULED.compareAndSet(this, 0, 1)) {
            if (endOfTurn) {
                dispatcher.executeYielded(this);
            } else {
                dispatcher.execute(this);
            }
        }
    }

    final boolean hasWork() {
        if (hasSystemMessages()) {
            return true;
        }
        if (state != RUNNING) {
            return false;
        }
        Extra x = extra;
        if (x != null && x.hasPendingSignals()) {
            return true;
        }
        Mailbox queue = mailbox;
        return queue != null && !queue.isEmpty();
    }

    private void processMailbox(int budget) {
        Mailbox queue = mailbox;
        if (queue != null) {
            int size = queue.size();
            if (size > mailboxHighWater) {
                mailboxHighWater = size;
                runtime.metrics.mailboxSize(size);
            }
        }
        int used = 0;
        int handled = 0;
        while (used < budget) {
            Extra x = extra;
            if (x != null && x.hasDeliverableSignal(mailbox)) {
                deliverSignal(x.pollSignal());
            } else {
                if (queue == null && (queue = mailbox) == null) {
                    break;
                }
                // poll may miss a message whose producer has reserved its place but not yet
                // linked it; release() then sees the queue non-empty and runs the cell again.
                Object message = queue.poll();
                if (message == null) {
                    break;
                }
                if (!deliver(message)) {
                    continue;
                }
                if (state == RUNNING && x != null && x.supervision != null) {
                    handledUnderSupervision(x.supervision);
                }
            }
            handled++;
            // Counted at once: a stop or crash below may end the actor, and whoever sees it
            // ended may read its metrics.
            processed++;
            used += 1;
            if (turnCost != 0) {
                used += turnCost;
                turnCost = 0;
            }
            if (state != RUNNING || checkStopRequested()) {
                break;
            }
            if (sysHead != null) {
                processSystemMessages();
                if (state != RUNNING) {
                    break;
                }
            }
        }
        runtime.metrics.processed(handled);
    }

    /** @return false if the message was a timer's that is no longer wanted (not handled) */
    @SuppressWarnings("unchecked")
    private boolean deliver(Object message) {
        if (message instanceof TimerEntry timer) {
            if (!timer.takeDelivery(this)) {
                return false; // cancelled or replaced after it fired: never handled, by contract
            }
            message = timer.message;
        }
        FaultInjector faults = runtime.faults;
        try {
            if (faults != null) {
                faults.beforeHandle(this, message);
            }
            actor.onMessage((M) message);
        } catch (Throwable failure) {
            crash(failure, message);
        }
        return true;
    }

    private void deliverSignal(Signal signal) {
        try {
            actor.onSignal(signal);
        } catch (Throwable failure) {
            crash(failure, signal);
        }
    }

    /**
     * An exception escaped a handler: report it once, then end, or (supervised) suspend and
     * let the supervisor decide. The message being handled becomes a dead letter unless it
     * is kept to be retried by the next incarnation.
     */
    void crash(Throwable failure, Object message) {
        runtime.crashReport(this, failure, message);
        ChildSupervision supervision = supervision();
        boolean retry = supervision != null && state == RUNNING && message != null && !(message instanceof Signal)
                && supervision.keepForRetry(message);
        if (message != null && !(message instanceof Signal) && !retry) {
            runtime.deadLetter(path(), message, DeadLetterReason.CRASHED, failure);
        }
        if (supervision != null && state == RUNNING) {
            suspend(ExitReason.crash(failure), true);
        } else {
            beginTermination(ExitReason.crash(failure));
        }
    }

    final ChildSupervision supervision() {
        Extra x = extra;
        return x == null ? null : x.supervision;
    }

    private void takeFirstSnapshot(Actor<M> instance) {
        ChildSupervision supervision = supervision();
        if (supervision != null && instance instanceof io.zbmd.actor.Snapshotting<?> snapshotting) {
            supervision.takeSnapshot(snapshotting);
        }
    }

    // ---------------------------------------------------------------- supervised restarts

    /**
     * Stops the current incarnation of a supervised child, keeping the cell: timers off,
     * children stopped and waited for, then {@code onStop}, then the supervisor is told.
     */
    void suspend(ExitReason reason, boolean failed) {
        ChildSupervision supervision = supervision();
        state = SUSPENDED;
        supervision.suspendReason = reason;
        supervision.suspendFailed = failed;
        extra.cancelTimers();
        if (stopAllChildren()) {
            supervision.awaitingChildren = true;
        } else {
            completeSuspension();
        }
    }

    void completeSuspension() {
        ChildSupervision supervision = supervision();
        supervision.awaitingChildren = false;
        runStopHook(supervision.suspendReason);
        parent.sendSystem(supervision.suspendFailed
                ? new SystemMessage.ChildFailed(this, supervision.suspendReason, supervision.incarnation)
                : new SystemMessage.IncarnationStopped(this, supervision.incarnation));
    }

    /**
     * On the supervisor's request (on this cell's turn): stop the incarnation, keep the cell.
     *
     * @return whether the report that the incarnation stopped has been sent
     */
    boolean suspendOnRequest(ExitReason reason) {
        ChildSupervision supervision = supervision();
        if (state == RUNNING || state == PAUSED) {
            suspend(reason, false);
            return state == SUSPENDED && !supervision.awaitingChildren;
        } else if (state == SUSPENDED && !supervision.awaitingChildren) {
            parent.sendSystem(new SystemMessage.IncarnationStopped(this, supervision.incarnation));
            return true;
        }
        return false; // suspending already: its report answers the request; ending: ChildTerminated will
    }

    /**
     * On the supervisor's request (on this cell's turn), when it restarts several children and
     * will stop this one after others: take no more messages meanwhile (system messages still
     * come: exits, kills, stops). Its incarnation is doomed, so what comes meanwhile waits for
     * the next one, in the mailbox the restart keeps; as Pekko's all-for-one suspends the
     * children before it restarts them. A supervisor is never paused: it must go on hearing
     * from its own children.
     */
    void pauseOnRequest() {
        if (state == RUNNING && !(actor instanceof SupervisionSupport.Supervising)) {
            state = PAUSED;
        }
    }

    /**
     * On the supervisor's decision (on this cell's turn): a fresh incarnation from the
     * factory, restored from the last snapshot, handed the crashed message again if retries
     * are left; then the turn goes on with the queued messages.
     */
    void restartInPlace() {
        ChildSupervision supervision = supervision();
        if (state != SUSPENDED || supervision.awaitingChildren) {
            return; // ended meanwhile, or a stale request
        }
        supervision.incarnation++;
        supervision.restarts++;
        supervision.restarted(1);
        state = RUNNING;
        try {
            Actor<M> instance = factory.create(context); // the same context: the same actor, a new incarnation
            if (instance == null) {
                throw new IllegalStateException("the factory of " + path() + " returned null instead of an actor");
            }
            actor = instance;
            supervision.restore(instance);
            instance.onStart();
        } catch (IgnoreStart ignored) {
            actor = null;
            state = SUSPENDED; // the cell waits, as after a crash, for whatever the supervisor decides
            parent.sendSystem(new SystemMessage.StartIgnored(this, supervision.incarnation));
            return;
        } catch (Throwable failure) {
            actor = null;
            crash(failure, null);
            return;
        }
        parent.sendSystem(new SystemMessage.IncarnationStarted(this, supervision.incarnation));
        if (supervision.retryMessage != null) {
            // Next among the system messages: on this turn, or on the cell's own turn if the
            // supervisor restarted it (controlNow), which a message handler must not hold up.
            sendSystem(new SystemMessage.Control(ActorCell::retryCrashedMessage));
        }
        checkStopRequested();
    }

    /** Hands a restarted incarnation the message its predecessor crashed on. */
    private void retryCrashedMessage() {
        ChildSupervision supervision = supervision();
        Object retry = supervision.retryMessage;
        if (retry != null && state == RUNNING && deliver(retry) && state == RUNNING) {
            supervision.retried();
            handledUnderSupervision(supervision);
        }
    }

    /** A supervised child handled a message to the end: snapshot if due, report progress if due. */
    private void handledUnderSupervision(ChildSupervision supervision) {
        supervision.handled(actor);
        if (supervision.progressed()) {
            parent.sendSystem(new SystemMessage.ChildProgressed(this, supervision.incarnation));
        }
    }

    private boolean checkStopRequested() {
        Extra x = extra;
        if (x != null && x.stopRequested && state == RUNNING) {
            beginTermination(ExitReason.NORMAL);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- system messages

    final void processSystemMessages() {
        while (processSystemBatch()) {
            // until the stack is empty, or the cell has ended
        }
    }

    /**
     * Handles the system messages on the stack now, in the order they came (messages pushed
     * meanwhile wait for the next batch).
     *
     * @return false if there were none, or the cell has ended
     */
    private boolean processSystemBatch() {
        if (state == TERMINATED || sysHead == null) {
            return false;
        }
        // Only this thread ever installs CLOSED (in finishTermination), so taking the
        // whole stack here cannot overwrite it.
        SystemMessage taken = (SystemMessage) SYS_HEAD.getAndSet(this, (SystemMessage) null);
        if (taken == null) {
            return false;
        }
        for (SystemMessage message = killFirst(reverse(taken)); message != null; ) {
            SystemMessage following = message.next;
            message.next = null;
            if (state == TERMINATED) {
                answerAsDead(message);
            } else {
                handleSystem(message);
            }
            message = following;
        }
        return true;
    }

    /**
     * A kill overtakes the control traffic queued before it (a graceful stop among them), as
     * in OTP where {@code kill} takes effect at once: the actor ends {@code killed}.
     */
    private static SystemMessage killFirst(SystemMessage head) {
        SystemMessage previous = null;
        for (SystemMessage message = head; message != null; previous = message, message = message.next) {
            if (message instanceof SystemMessage.ExitSignal exit && exit.reason instanceof ExitReason.Kill) {
                if (previous == null) {
                    return head;
                }
                previous.next = message.next;
                message.next = head;
                return message;
            }
        }
        return head;
    }

    private static SystemMessage reverse(SystemMessage head) {
        SystemMessage reversed = null;
        while (head != null) {
            SystemMessage following = head.next;
            head.next = reversed;
            reversed = head;
            head = following;
        }
        return reversed;
    }

    private void handleSystem(SystemMessage message) {
        switch (message) {
            case SystemMessage.Stop stop -> {
                if (!(state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising
                        && supervising.interceptStop(stop.reason))) {
                    beginTermination(stop.reason);
                }
            }
            case SystemMessage.ExitSignal exit -> onExitSignal(exit);
            case SystemMessage.Link link -> extra().links.add(link.from);
            case SystemMessage.Unlink unlink -> {
                if (extra != null) {
                    extra.links.remove(unlink.from);
                }
            }
            case SystemMessage.Monitor monitor -> extra().watchers.put(monitor.ref, monitor.watcher);
            case SystemMessage.Demonitor demonitor -> {
                if (extra != null) {
                    extra.watchers.remove(demonitor.ref);
                }
            }
            case SystemMessage.DownNotice down -> {
                if (state < TERMINATING && extra != null && extra.monitoring.remove(down.ref) != null) {
                    queueSignal(new Signal.Down(down.actor, down.ref, down.reason));
                }
            }
            case SystemMessage.ChildTerminated ended -> {
                boolean none = removeChild(ended.child);
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childTerminated(ended.child, ended.child.exitReason);
                }
                if (none && state == TERMINATING) {
                    finishTermination();
                } else if (none && state == SUSPENDED && supervision().awaitingChildren) {
                    completeSuspension();
                }
            }
            case SystemMessage.ChildFailed failed -> {
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childFailed(failed.child, failed.reason, failed.incarnation);
                }
            }
            case SystemMessage.IncarnationStarted started -> {
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childRestarted(started.child, started.incarnation);
                }
            }
            case SystemMessage.StartIgnored ignored -> {
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childIgnored(ignored.child, ignored.incarnation);
                }
            }
            case SystemMessage.ChildProgressed progressed -> {
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childProgressed(progressed.child, progressed.incarnation);
                }
            }
            case SystemMessage.IncarnationStopped stopped -> {
                if (state == RUNNING && actor instanceof SupervisionSupport.Supervising supervising) {
                    supervising.childSuspended(stopped.child, stopped.incarnation);
                }
            }
            case SystemMessage.Control control -> control.action.accept(this);
            case SystemMessage.Closed ignored -> throw new IllegalStateException("bug: CLOSED popped from " + path());
        }
    }

    private void onExitSignal(SystemMessage.ExitSignal exit) {
        if (state >= TERMINATING) {
            return;
        }
        if (exit.viaLink && (extra == null || !extra.links.remove(exit.from))) {
            return; // unlinked meanwhile: the link no longer has any effect
        }
        ExitReason reason = exit.reason;
        if (reason instanceof ExitReason.Kill) {
            beginTermination(ExitReason.KILLED);
        } else if (extra != null && extra.trapExits) {
            queueSignal(new Signal.Exit(exit.from.ref(), reason));
        } else if (!reason.isNormal()) {
            beginTermination(reason);
        } else if (exit.from == this) {
            beginTermination(reason); // exit(self, normal) ends the caller, as in OTP
        }
    }

    /**
     * Queues a signal behind every message already in the mailbox: it is delivered once the
     * consumer index reaches the producer index read now. A message sent by a now-dead actor
     * was counted in the producer index before that actor ended, so its DOWN comes after it.
     */
    void queueSignal(Signal signal) {
        Mailbox queue = mailbox;
        long barrier = queue == null ? 0 : queue.producerIndex();
        extra().queueSignal(barrier, signal);
    }

    /** The answer a dead actor gives to a system message, on the sender's thread. */
    final void answerAsDead(SystemMessage message) {
        switch (message) {
            case SystemMessage.Link link -> link.from.sendSystem(new SystemMessage.ExitSignal(this, exitReason, true));
            case SystemMessage.Monitor monitor -> monitor.watcher.down(monitor.ref, this, exitReason);
            default -> {
                // Stop, exits, unlinks, demonitors, notices: nothing to do for a dead actor.
            }
        }
    }

    @Override
    public final ActorRef<?> ref() {
        return this;
    }

    @Override
    public final Runtime runtime() {
        return runtime;
    }

    // ---------------------------------------------------------------- termination

    /** Starts ending: stop the children, and finish once they have all ended. */
    void beginTermination(ExitReason reason) {
        if (state >= TERMINATING) {
            return;
        }
        exitReason = reason;
        Extra x = extra;
        if (x != null) {
            x.cancelTimers();
        }
        boolean waitForChildren;
        if (parent == null) {
            synchronized (this) {
                waitForChildren = stopChildren();
            }
        } else {
            waitForChildren = stopChildren();
        }
        if (!waitForChildren) {
            finishTermination();
        }
    }

    /** @return whether there are children to wait for */
    private boolean stopChildren() {
        state = TERMINATING;
        return stopAllChildren();
    }

    /** @return whether there are children to wait for */
    private boolean stopAllChildren() {
        for (ActorCell<?> child = firstChild; child != null; child = child.nextSibling) {
            if (child.state != TERMINATED) { // its ChildTerminated is on the way
                child.sendSystem(new SystemMessage.Stop(ExitReason.SHUTDOWN));
            }
        }
        return firstChild != null;
    }

    /** Children are gone: run onStop, become TERMINATED, tell everyone who needs to know. */
    void finishTermination() {
        ExitReason reason = exitReason;
        runStopHook(reason);
        state = TERMINATED;
        if (hasNames) {
            runtime.registry.releaseAll(this);
        }
        drainToDeadLetters();
        SystemMessage leftovers = (SystemMessage) SYS_HEAD.getAndSet(this, CLOSED);
        for (SystemMessage message = reverse(leftovers); message != null; message = message.next) {
            answerAsDead(message);
        }
        Extra x = extra;
        if (x != null) {
            x.notifyOnTermination(this, reason);
        }
        if (parent != null) {
            parent.sendSystem(new SystemMessage.ChildTerminated(this));
        }
        runtime.terminated(this);
        if (dispatcher instanceof PinnedDispatcher pinned) {
            pinned.stop(); // after this turn; a late one (a dead letter to drain) runs on the shared threads
        }
    }

    /** The incarnation's {@code onStop}, once, after its children have ended. */
    void runStopHook(ExitReason reason) {
        Actor<M> instance = actor;
        actor = null;
        if (instance != null) {
            try {
                instance.onStop(reason);
            } catch (Throwable failure) {
                runtime.stopHookFailed(this, failure);
            }
        }
    }

    /** Turns what is left in the mailbox into dead letters. Any thread; one at a time. */
    private void drainToDeadLetters() {
        Mailbox queue = mailbox;
        if (queue == null) {
            return;
        }
        synchronized (queue) {
            Object message;
            while ((message = queue.poll()) != null) {
                if (message instanceof TimerEntry timer) {
                    message = timer.message;
                }
                runtime.deadLetter(path(), message, DeadLetterReason.TERMINATED);
            }
        }
        queue.wakeWaiters(); // producers waiting for room see the actor ended
    }

    // ---------------------------------------------------------------- the tree

    private void attachChild(ActorCell<?> child) {
        if (parent == null) {
            synchronized (this) {
                addChild(child);
            }
        } else {
            addChild(child);
        }
    }

    private void addChild(ActorCell<?> child) {
        if (state >= TERMINATING) {
            throw new IllegalStateException(parent == null
                    ? "ActorSystem '" + runtime.config().name() + "' is closed: spawning is not possible"
                    : path() + " is stopping: it cannot spawn children any more");
        }
        child.nextSibling = firstChild;
        if (firstChild != null) {
            firstChild.prevSibling = child;
        }
        firstChild = child;
    }

    /** @return whether no children are left */
    private boolean removeChild(ActorCell<?> child) {
        if (parent == null) {
            synchronized (this) {
                return dropChild(child);
            }
        }
        return dropChild(child);
    }

    private boolean dropChild(ActorCell<?> child) {
        if (child.prevSibling != null) {
            child.prevSibling.nextSibling = child.nextSibling;
        } else {
            firstChild = child.nextSibling;
        }
        if (child.nextSibling != null) {
            child.nextSibling.prevSibling = child.prevSibling;
        }
        child.nextSibling = null;
        child.prevSibling = null;
        return firstChild == null;
    }

    /**
     * The children now, oldest first. Only the actor itself may call this (its children list
     * is its own); the root's list is read under its monitor.
     *
     * @return the children
     */
    final java.util.List<ActorRef<?>> children() {
        java.util.ArrayList<ActorRef<?>> result = new java.util.ArrayList<>();
        if (parent == null) {
            synchronized (this) {
                collectChildren(result);
            }
        } else {
            collectChildren(result);
        }
        java.util.Collections.reverse(result);
        return result;
    }

    private void collectChildren(java.util.List<ActorRef<?>> into) {
        for (ActorCell<?> child = firstChild; child != null; child = child.nextSibling) {
            into.add(child);
        }
    }

    final <C> ActorCell<C> spawnChild(SpawnOptions options, ActorFactory<C> factory) {
        return spawnChild(options, factory, null);
    }

    /** Spawns a child, supervised by this cell when {@code supervision} is given. */
    final <C> ActorCell<C> spawnChild(SpawnOptions options, ActorFactory<C> factory, ChildSupervision supervision) {
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(factory, "factory must not be null");
        ActorCell<C> child = new ActorCell<>(runtime, this, options.name(), capacityFor(options), factory);
        adopt(child, options, supervision);
        if (options.pinned() && !(runtime.dispatcher instanceof DeterministicDispatcher)) {
            // Set before the start releases the cell, so every turn, the first included, runs there.
            PinnedDispatcher pinned = new PinnedDispatcher(runtime.config().name() + "-pinned-" + child.path(), runtime.dispatcher);
            child.dispatcher = pinned;
            pinned.runAndWait(child::start);
        } else {
            child.start();
        }
        return child;
    }

    final <C> ProcessCell<C> spawnProcessChild(SpawnOptions options, ProcessActor<C> body) {
        return spawnProcessChild(options, body, null);
    }

    /** Spawns a process child, supervised by this cell when {@code supervision} is given. */
    final <C> ProcessCell<C> spawnProcessChild(SpawnOptions options, ProcessActor<C> body,
            ChildSupervision supervision) {
        Objects.requireNonNull(options, "options must not be null");
        Objects.requireNonNull(body, "process body must not be null");
        ProcessCell<C> child = new ProcessCell<>(runtime, this, options.name(), capacityFor(options), body);
        adopt(child, options, supervision);
        child.start();
        return child;
    }

    private int capacityFor(SpawnOptions options) {
        return options.mailboxCapacity() == 0 ? runtime.defaultMailboxCapacity : options.mailboxCapacity();
    }

    private void adopt(ActorCell<?> child, SpawnOptions options, ChildSupervision supervision) {
        attachChild(child);
        runtime.metrics.spawned();
        if (supervision != null) {
            child.extra().supervision = supervision;
        }
        if (options.link()) {
            // The child is not running yet and nobody else knows it: set both ends directly.
            extra().links.add(child);
            child.extra().links.add(this);
        }
    }

    // ---------------------------------------------------------------- context

    // What the context does, on the actor's turn (CellContext checks that it is).

    final <C> ActorRef<C> spawn(String name, ActorFactory<C> factory) {
        return spawnChild(SpawnOptions.named(Objects.requireNonNull(name, "name must not be null")), factory);
    }

    final <C> ActorRef<C> spawn(SpawnOptions options, ActorFactory<C> factory) {
        return spawnChild(options, factory);
    }

    final <C> ActorRef<C> spawnProcess(SpawnOptions options, ProcessActor<C> body) {
        return spawnProcessChild(options, body);
    }

    final void stop(ActorRef<?> child) {
        ActorCell<?> cell = runtime.cellOf(child);
        if (cell.parent != this) {
            throw new IllegalArgumentException(cell.path() + " is not a child of " + path()
                    + "; stop it through its parent, or send it an exit signal with exit()");
        }
        cell.sendSystem(new SystemMessage.Stop(ExitReason.SHUTDOWN));
    }

    void stopSelf() {
        extra().stopRequested = true;
    }

    final void link(ActorRef<?> other) {
        SystemTarget target = runtime.targetOf(other);
        if (!target.equals(this) && extra().links.add(target)) {
            target.sendSystem(new SystemMessage.Link(this));
        }
    }

    final void unlink(ActorRef<?> other) {
        SystemTarget target = runtime.targetOf(other);
        if (extra != null && extra.links.remove(target)) {
            target.sendSystem(new SystemMessage.Unlink(this));
        }
    }

    final MonitorRef monitor(ActorRef<?> other) {
        SystemTarget target = runtime.targetOf(other);
        MonitorRef ref = new MonitorRef(runtime.nextId(), target.ref());
        extra().monitoring.put(ref, target);
        target.sendSystem(new SystemMessage.Monitor(this, ref));
        return ref;
    }

    final boolean demonitor(MonitorRef monitor) {
        Objects.requireNonNull(monitor, "monitor must not be null");
        if (extra == null) {
            return false;
        }
        extra.removePendingDown(monitor);
        SystemTarget target = extra.monitoring.remove(monitor);
        if (target == null) {
            return false;
        }
        target.sendSystem(new SystemMessage.Demonitor(monitor));
        return true;
    }

    void trapExits(boolean trap) {
        extra().trapExits = trap;
    }

    final void exit(ActorRef<?> target, ExitReason reason) {
        Objects.requireNonNull(reason, "reason must not be null");
        runtime.targetOf(target).sendSystem(new SystemMessage.ExitSignal(this, reason, false));
    }

    final long nanoTime() {
        return runtime.timers.nanoTime();
    }

    final Timers<M> timers() {
        Extra x = extra();
        if (x.timers == null) {
            x.timers = new ActorTimers<>(this);
        }
        @SuppressWarnings("unchecked")
        Timers<M> timers = (Timers<M>) x.timers;
        return timers;
    }

    final <T> Cancellable sendAfter(ActorRef<T> target, T message, Duration delay) {
        Objects.requireNonNull(target, "target must not be null");
        Objects.requireNonNull(message, "message must not be null");
        long nanos = ActorTimers.nonNegativeNanos("delay", delay);
        return extra().sendAfter(runtime.timers, nanos, () -> target.tell(message));
    }

    final void charge(int reductions) {
        if (reductions < 0) {
            throw new IllegalArgumentException("reductions must not be negative, got " + reductions);
        }
        turnCost += reductions;
    }

    final Extra extra() {
        Extra x = extra;
        if (x == null) {
            x = new Extra();
            extra = x;
        }
        return x;
    }

    // ---------------------------------------------------------------- introspection

    @Override
    public final ActorAddress address() {
        return runtime.address(id);
    }

    @Override
    public final String path() {
        if (parent == null) {
            return "/";
        }
        StringBuilder builder = new StringBuilder();
        appendPath(builder);
        return builder.toString();
    }

    private void appendPath(StringBuilder builder) {
        if (parent != null && parent.parent != null) {
            parent.appendPath(builder);
        }
        builder.append('/').append(name.isEmpty() ? "$" : name).append('#').append(id);
    }

    final boolean isTerminated() {
        return state == TERMINATED;
    }

    final io.zbmd.actor.ActorMetrics metricsNow() {
        Mailbox queue = mailbox;
        return new io.zbmd.actor.ActorMetrics(state != TERMINATED, processed, queue == null ? 0 : queue.size(),
                mailboxHighWater, capacity);
    }

    @Override
    public final String toString() {
        return "Actor[" + path() + "]";
    }
}
