package io.zbmd.actor.internal;

import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.IgnoreStart;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.Signal;
import io.zbmd.dispatch.internal.DeterministicDispatcher;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A process actor's cell: the same mailbox, system messages, links, monitors and tree as
 * any cell, but its owner is a virtual thread running the body instead of dispatcher turns.
 *
 * <p>With real dispatchers the thread parks when it waits and senders unpark it (a Dekker
 * pair on {@code waiting}: the sender's queue CAS then its read of {@code waiting}, against
 * the write of {@code waiting} then the look at the queues here). Under the deterministic
 * dispatcher the thread runs only while the dispatcher hands it a baton: a turn of this
 * cell means "let the process run until it waits again", so one thread acts at a time and
 * the interleaving stays a function of the seed.
 */
final class ProcessCell<M> extends ActorCell<M> {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<ProcessCell<?>> CURRENT = new ThreadLocal<>();

    private final transient ProcessActor<M> body;
    private final boolean simulated;
    /** Messages and signals a selective receive skipped, in arrival order. */
    private final transient ArrayDeque<Object> saved = new ArrayDeque<>();
    private final transient Semaphore toProcess;
    private final transient Semaphore toDriver;
    private transient volatile Thread thread;
    private volatile boolean waiting;
    private volatile boolean trapping;
    private volatile boolean inBody;
    /** Why the body must end, learnt from a system message; thrown at the next receive. */
    private ExitReason pendingExit;
    /** Set when the supervisor asked to stop this incarnation in place. */
    private ExitReason pendingSuspend;
    /** Set by the supervisor's restart of a suspended process. */
    private boolean restartRequested;
    /** The body of the current incarnation has ended and its {@code onStop} is still to run. */
    private boolean stopHookDue;
    /** The current incarnation's {@code init} has returned: it started. */
    private boolean incarnationStarted;

    ProcessCell(Runtime runtime, ActorCell<?> parent, String name, int capacity, ProcessActor<M> body) {
        super(runtime, parent, name, capacity, null);
        this.body = body;
        this.simulated = runtime.dispatcher instanceof DeterministicDispatcher;
        this.toProcess = simulated ? new Semaphore(0) : null;
        this.toDriver = simulated ? new Semaphore(0) : null;
        this.context = new ProcessCellContext<>(this);
    }

    /** @return the body's context, the same for each incarnation (it holds nothing of one) */
    private ProcessCellContext<M> processContext() {
        return (ProcessCellContext<M>) context;
    }

    /** @return whether the calling thread is this process's own */
    boolean isProcessThread() {
        return Thread.currentThread() == thread;
    }

    static boolean isProcessThreadOf(Runtime runtime) {
        ProcessCell<?> current = CURRENT.get();
        return current != null && current.runtime == runtime;
    }

    @Override
    void start() {
        state = RUNNING;
        inBody = true;
        Thread created = Thread.ofVirtual().name("zbmd-process" + path()).unstarted(this::runBody);
        thread = created;
        if (simulated) {
            // `scheduled` is 1 since construction: queue the first turn, which hands over the baton.
            runtime.dispatcher.execute(this);
        }
        created.start();
    }

    @Override
    void signalWork() {
        if (simulated) {
            super.signalWork();
        } else if (waiting) {
            LockSupport.unpark(thread);
        }
    }

    /** A process handles its system messages on its own thread, always. */
    @Override
    boolean controlNow(Consumer<ActorCell<?>> request) {
        sendSystem(new SystemMessage.Control(request));
        return false;
    }

    /** Deterministic dispatcher only: let the process run until it waits again. */
    @Override
    public void runTurn() {
        toProcess.release();
        toDriver.acquireUninterruptibly();
        release(true);
    }

    /**
     * A stop or a kill must reach a body blocked outside {@code receive} (I/O, sleep): it is
     * interrupted. An abnormal exit signal interrupts too unless the process traps exits;
     * if a concurrent unlink made that signal moot, the body sees a spurious interrupt.
     */
    @Override
    void afterSystemMessage(SystemMessage message) {
        if (simulated || !inBody) {
            return;
        }
        boolean ends = message instanceof SystemMessage.Stop
                || message instanceof SystemMessage.ExitSignal exit
                        && (exit.reason instanceof ExitReason.Kill || !trapping && !exit.reason.isNormal());
        Thread t = thread;
        if (ends && t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    /** A suspended incarnation (supervised): why, and whether it crashed. */
    private record Suspension(ExitReason reason, boolean failed) {}

    /** A supervised incarnation whose {@code init} declined to start ({@link IgnoreStart}). */
    private static final Object DECLINED = new Object();

    private void runBody() {
        CURRENT.set(this);
        if (simulated) {
            toProcess.acquireUninterruptibly();
        }
        for (;;) {
            Object outcome = runIncarnation();
            inBody = false;
            stopHookDue = incarnationStarted; // a start that failed gets no onStop, as an actor's
            Thread.interrupted();
            if ((outcome instanceof Suspension || outcome == DECLINED) && awaitRestart(outcome)) {
                continue;
            }
            if (outcome instanceof ExitReason reason) {
                beginTermination(reason);
            }
            break;
        }
        while (state != TERMINATED) {
            processSystemMessages();
            if (state != TERMINATED) {
                awaitWork(Long.MAX_VALUE);
            }
        }
        CURRENT.remove();
        if (simulated) {
            toDriver.release();
        }
    }

    /**
     * Runs {@code init}, tells the supervisor the incarnation started (OTP's {@code init_ack}),
     * then runs the body.
     *
     * @return the exit reason, a {@link Suspension} for a supervised crash or stop, or
     *     {@link #DECLINED}
     */
    private Object runIncarnation() {
        pendingExit = null;
        pendingSuspend = null;
        incarnationStarted = false;
        try {
            body.init(processContext());
            incarnationStarted = true;
            ChildSupervision supervision = supervision();
            if (supervision != null) {
                parent.sendSystem(new SystemMessage.IncarnationStarted(this, supervision.incarnation));
            }
            body.run(processContext());
            return ExitReason.NORMAL;
        } catch (ProcessExit exit) {
            return exit.suspend ? new Suspension(exit.reason, false) : exit.reason;
        } catch (IgnoreStart declined) {
            if (!incarnationStarted) {
                return supervision() != null ? DECLINED : ExitReason.NORMAL;
            }
            return failed(declined);
        } catch (Throwable failure) {
            return failed(failure);
        }
    }

    /** The incarnation threw: a crash, unless a stop or an exit is why a blocking call failed. */
    private Object failed(Throwable failure) {
        Thread.interrupted();
        processSystemMessages();
        if (pendingExit != null) {
            return pendingExit;
        }
        if (pendingSuspend != null) {
            return new Suspension(pendingSuspend, false);
        }
        runtime.crashReport(this, failure, null);
        ExitReason reason = ExitReason.crash(failure);
        return supervision() != null ? new Suspension(reason, true) : reason;
    }

    /**
     * Suspends this supervised process in place and waits for its supervisor.
     *
     * @param outcome a {@link Suspension}, or {@link #DECLINED}: the supervisor hears that the
     *     start was declined, and the cell waits as after a crash
     * @return true to run the body again (restarted), false if the process is ending
     */
    private boolean awaitRestart(Object outcome) {
        restartRequested = false;
        if (outcome instanceof Suspension suspension) {
            suspend(suspension.reason(), suspension.failed());
        } else {
            state = SUSPENDED;
            parent.sendSystem(new SystemMessage.StartIgnored(this, supervision().incarnation));
        }
        while (state == SUSPENDED && !restartRequested) {
            processSystemMessages();
            if (state == SUSPENDED && !restartRequested) {
                awaitWork(Long.MAX_VALUE);
            }
        }
        return restartRequested && state == RUNNING;
    }

    /** The body's {@link ProcessActor#onStop}, once per incarnation, after the body has ended. */
    @Override
    void runStopHook(ExitReason reason) {
        if (!stopHookDue) {
            return;
        }
        stopHookDue = false;
        try {
            body.onStop(reason);
        } catch (Throwable failure) {
            runtime.stopHookFailed(this, failure);
        }
    }

    void exit(ExitReason reason) {
        Objects.requireNonNull(reason, "reason must not be null");
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("exit(reason) ends the process that calls it: call it from "
                    + path() + "'s own body");
        }
        throw new ProcessExit(reason instanceof ExitReason.Kill ? ExitReason.KILLED : reason, false);
    }

    @Override
    void restartInPlace() {
        ChildSupervision supervision = supervision();
        if (state != SUSPENDED || supervision.awaitingChildren) {
            return;
        }
        supervision.incarnation++;
        supervision.restarts++;
        supervision.restarted(2);
        state = RUNNING;
        inBody = true;
        restartRequested = true; // the body's init tells the supervisor when it has started
    }

    @Override
    boolean suspendOnRequest(ExitReason reason) {
        if (inBody && state == RUNNING) {
            if (pendingSuspend == null) {
                pendingSuspend = reason;
            }
            return false;
        }
        return super.suspendOnRequest(reason);
    }

    @Override
    void beginTermination(ExitReason reason) {
        if (inBody) {
            if (pendingExit == null) {
                pendingExit = reason;
            }
            return;
        }
        super.beginTermination(reason);
    }

    @Override
    void stopSelf() {
        if (pendingExit == null) {
            pendingExit = ExitReason.NORMAL;
        }
    }

    /** @return whether the body traps exits (read by its supervisor's thread) */
    boolean trapsExits() {
        return trapping;
    }

    @Override
    void trapExits(boolean trap) {
        super.trapExits(trap);
        trapping = trap;
    }

    // ---------------------------------------------------------------- receive

    @SuppressWarnings("unchecked")
    M receive() {
        return (M) await(ProcessCell::isMessage, Long.MAX_VALUE);
    }

    @SuppressWarnings("unchecked")
    Optional<M> receive(Duration timeout) {
        return Optional.ofNullable((M) await(ProcessCell::isMessage, timeoutNanos(timeout)));
    }

    @SuppressWarnings("unchecked")
    Optional<M> receive(Predicate<? super M> filter, Duration timeout) {
        Objects.requireNonNull(filter, "filter must not be null");
        return Optional.ofNullable((M) await(item -> isMessage(item) && filter.test((M) item), timeoutNanos(timeout)));
    }

    Optional<Object> receiveAny(Predicate<Object> filter, Duration timeout) {
        Objects.requireNonNull(filter, "filter must not be null");
        Object item = await(candidate -> filter.test(unwrap(candidate)), timeoutNanos(timeout));
        return Optional.ofNullable(item == null ? null : unwrap(item));
    }

    private static boolean isMessage(Object item) {
        return !(item instanceof SignalItem);
    }

    private static Object unwrap(Object item) {
        return item instanceof SignalItem(Signal signal) ? signal : item;
    }

    private static long timeoutNanos(Duration timeout) {
        return ActorTimers.nonNegativeNanos("receive timeout", timeout);
    }

    /** A signal among the saved items: tells it apart from a message of any type. */
    private record SignalItem(Signal signal) {}

    /**
     * Takes the first item that {@code accepts}: saved items first, then arrivals, waiting up
     * to {@code timeoutNanos} ({@link Long#MAX_VALUE}: forever).
     *
     * @return the item (a signal still wrapped), or null on timeout
     */
    private Object await(Predicate<Object> accepts, long timeoutNanos) {
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("receive is only allowed on the process's own thread (" + path() + ")");
        }
        for (Iterator<Object> it = saved.iterator(); it.hasNext(); ) {
            Object item = it.next();
            if (accepts.test(item)) {
                it.remove();
                return taken(item);
            }
        }
        long deadline = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : saturatedAdd(nanoTime(), timeoutNanos);
        for (;;) {
            processSystemMessages();
            if (pendingExit != null) {
                throw new ProcessExit(pendingExit, false);
            }
            if (pendingSuspend != null) {
                throw new ProcessExit(pendingSuspend, true);
            }
            Object item = nextArrival();
            if (item != null) {
                if (accepts.test(item)) {
                    return taken(item);
                }
                saved.add(item);
                continue;
            }
            long remaining = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - nanoTime();
            if (remaining <= 0) {
                return null;
            }
            awaitWork(remaining);
        }
    }

    private Object taken(Object item) {
        runtime.metrics.processed(1);
        ChildSupervision supervision = supervision();
        if (supervision != null && supervision.progressed()) {
            parent.sendSystem(new SystemMessage.ChildProgressed(this, supervision.incarnation));
        }
        return item;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private Object nextArrival() {
        for (;;) {
            Extra x = extra;
            Mailbox queue = mailbox;
            if (x != null && x.hasDeliverableSignal(queue)) {
                return new SignalItem(x.pollSignal());
            }
            if (queue == null) {
                return null;
            }
            Object message = queue.poll();
            if (message instanceof TimerEntry timer) {
                if (!timer.takeDelivery(this)) {
                    continue; // cancelled or replaced timer: never handled
                }
                message = timer.message;
            }
            return message;
        }
    }

    private boolean hasArrivals() {
        if (hasSystemMessages()) {
            return true;
        }
        if (state != RUNNING) {
            return false;
        }
        Extra x = extra;
        Mailbox queue = mailbox;
        return (x != null && x.hasPendingSignals()) || (queue != null && !queue.isEmpty());
    }

    private void awaitWork(long remainingNanos) {
        if (simulated) {
            Cancellable wake = remainingNanos == Long.MAX_VALUE ? null : runtime.timers.schedule(remainingNanos, this::signalWork);
            toDriver.release();
            toProcess.acquireUninterruptibly();
            if (wake != null) {
                wake.cancel();
            }
            return;
        }
        waiting = true;
        try {
            // After the fence above: producers waiting for room that this thread's last poll
            // did not see (see Mailbox) are woken before it sleeps.
            Mailbox queue = mailbox;
            if (queue != null && queue.hasWaiters()) {
                queue.wakeOne();
            }
            if (!hasArrivals()) {
                if (remainingNanos == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, remainingNanos);
                }
            }
        } finally {
            waiting = false;
        }
        Thread.interrupted(); // an interrupt only means "look at the system messages"
    }

    /** Unwinds a process body that must end or stop in place; not meant to be caught. */
    static final class ProcessExit extends Error {
        private static final long serialVersionUID = 1L;
        final transient ExitReason reason;
        final boolean suspend;

        ProcessExit(ExitReason reason, boolean suspend) {
            super("process exit: " + reason, null, false, false);
            this.reason = reason;
            this.suspend = suspend;
        }
    }
}
