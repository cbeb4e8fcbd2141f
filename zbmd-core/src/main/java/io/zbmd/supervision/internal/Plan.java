package io.zbmd.supervision.internal;

import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.internal.SupervisionSupport;
import io.zbmd.actor.internal.SupervisionSupport.ChildSetup;
import io.zbmd.actor.internal.SupervisionSupport.Started;
import io.zbmd.supervision.ChildKind;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.ChildStatus;
import io.zbmd.supervision.RestartCounting;
import io.zbmd.supervision.Shutdown;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.SupervisorSpec;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a supervisor is doing, one step at a time: stop this child (per its shutdown), start
 * that one, then go on. A step may have to wait for a child's report (its end, its
 * suspension, its in-place restart) or for a timer; while it waits, everything else that
 * arrives (other children's exits, requests, a stop) waits in {@link #input}'s queue and is
 * handled afterwards, in the order it came. This is how OTP's supervisor behaves: it stops a
 * child and waits for its {@code 'DOWN'} in a selective receive, and its mailbox keeps the
 * rest.
 *
 * <p>Used on the supervisor's turn only.
 */
final class Plan {
    private static final Logger LOG = LoggerFactory.getLogger(Plan.class);

    /** What happened to a child, for the supervisor to record and publish. */
    enum Change { STARTED, RESTARTED, RESTARTED_IN_PLACE, IGNORED, REMOVED, REF }

    /**
     * The result of a start done now.
     *
     * @param failure why it failed, or null
     * @param ignored whether the start returned ignore
     * @param endingRef a failed child supervisor's cell that is still stopping its own
     *     children: wait for its end before going on
     * @param pending whether the child is still starting (a process actor's {@code init}, a
     *     child supervisor waiting for one): wait for its report before going on
     */
    private record Outcome(Throwable failure, boolean ignored, ActorRef<?> endingRef, boolean pending) {}

    private sealed interface Step {}

    private record Terminate(Child child, boolean forRestart) implements Step {}

    /** Children to be stopped for a restart, told to take no more messages meanwhile. */
    private record Pause(List<Child> children) implements Step {}

    /** Children stopped all at once, as a dynamic supervisor stops its own. */
    private record TerminateAll(List<Child> children) implements Step {}

    /** One child of a group started in order; a failure drops the group's later starts. */
    private record Start(Child child, Group group) implements Step {}

    private record AwaitEnd(ActorRef<?> ref) implements Step {}

    private record Delay(long nanos) implements Step {}

    private record Then(Runnable action) implements Step {}

    private static final class Group {
        final boolean restart;
        final Consumer<Child> onFailure;

        Group(boolean restart, Consumer<Child> onFailure) {
            this.restart = restart;
            this.onFailure = onFailure;
        }
    }

    /** What the step in progress waits for. */
    private enum Wait { NONE, END, ALL_ENDS, SUSPENSION, STARTING, FAILED_START_END, TIMER }

    private final ActorContext<?> ctx;
    /** Whether children report their first message handled after a restart ({@link RestartCounting#UNRECOVERED}). */
    private final boolean reportsProgress;
    private final Consumer<SupervisionEvent> publish;
    private final BiConsumer<Child, Change> changed;
    private final ArrayDeque<Step> steps = new ArrayDeque<>();
    private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
    private String path;
    private Wait waiting = Wait.NONE;
    private Child awaited;
    /** The children whose ends a {@link TerminateAll} still waits for. */
    private final Set<Child> awaitedAll = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Whether the awaited stop is for good (not for a restart): its end is published. */
    private boolean awaitedForGood;
    private ActorRef<?> awaitedRef;
    private Group awaitedGroup;
    /** Whether the start awaited is a new cell's (not an in-place restart). */
    private boolean awaitedNewCell;
    private Throwable awaitedFailure;
    private Cancellable timer;
    /** A stop's shutdown timeout in progress: what it does, and when; see {@link #expireAt}. */
    private Runnable expiry;
    private long expiryAt;
    /** The timer armed for {@link #expiry}, for when, and its generation (a fired, stale one is ignored). */
    private Cancellable expiryTimer;
    private long expiryTimerAt;
    private long expiryGeneration;
    private Throwable lastFailure;
    private boolean running;

    Plan(ActorContext<?> ctx, SupervisorSpec spec, Consumer<SupervisionEvent> publish,
            BiConsumer<Child, Change> changed) {
        this.ctx = ctx;
        this.reportsProgress = spec.counting() == RestartCounting.UNRECOVERED;
        this.publish = publish;
        this.changed = changed;
    }

    void path(String value) {
        path = value;
    }

    // ---------------------------------------------------------------- building the plan

    /** Stops a child per its shutdown (suspending it for an in-place restart when {@code forRestart}). */
    void terminate(Child child, boolean forRestart) {
        steps.add(new Terminate(child, forRestart));
    }

    /**
     * Tells these children, about to be stopped one at a time for a restart, to take no more
     * messages meanwhile (see {@code ActorCell.pauseOnRequest}): the restart does not wait for
     * each of them to finish what piled up for a doomed incarnation. Only workers restarted in
     * place are paused; the others run until their stop, as in OTP.
     */
    void pause(List<Child> children) {
        steps.add(new Pause(List.copyOf(children)));
    }

    /**
     * Stops these children at once and waits for all their ends, with one timer for their
     * shutdown: OTP's {@code terminate_dynamic_children}, how a dynamic supervisor
     * ({@code simple_one_for_one}) stops. Its children share one spec, so one shutdown.
     */
    void terminateAll(List<Child> children) {
        steps.add(new TerminateAll(List.copyOf(children)));
    }

    /** Starts children in order; the first that fails ends the group and is handed to {@code onFailure}. */
    void startGroup(List<Child> children, boolean restart, Consumer<Child> onFailure) {
        Group group = new Group(restart, onFailure);
        for (Child child : children) {
            steps.add(new Start(child, group));
        }
    }

    /** As {@link #startGroup}, before whatever the plan holds: for a step that plans the rest of its own work. */
    void startGroupNext(List<Child> children, boolean restart, Consumer<Child> onFailure) {
        Group group = new Group(restart, onFailure);
        for (Child child : children.reversed()) {
            steps.addFirst(new Start(child, group));
        }
    }

    /** Waits for a cell's end. */
    void awaitEnd(ActorRef<?> ref) {
        steps.add(new AwaitEnd(ref));
    }

    /** Waits, on the system's clock. */
    void delay(long nanos) {
        steps.add(new Delay(nanos));
    }

    void then(Runnable action) {
        steps.add(new Then(action));
    }

    /** @return why the last start that failed did */
    Throwable lastFailure() {
        return lastFailure;
    }

    // ---------------------------------------------------------------- running it

    /** Handles an input now if the supervisor is idle, else after what it is doing. */
    void input(Runnable handling) {
        if (busy()) {
            deferred.add(handling);
            return;
        }
        handling.run();
        run();
    }

    private boolean busy() {
        return running || waiting != Wait.NONE || !steps.isEmpty();
    }

    /** Runs steps until one waits or none is left, then the inputs that waited, in order. */
    void run() {
        if (running) {
            return;
        }
        running = true;
        try {
            while (waiting == Wait.NONE) {
                Step step = steps.poll();
                if (step != null) {
                    execute(step);
                } else if (!deferred.isEmpty()) {
                    deferred.poll().run();
                } else {
                    dropExpiryTimer(); // idle: it would fire for nothing
                    return;
                }
            }
        } finally {
            running = false;
        }
    }

    private void execute(Step step) {
        switch (step) {
            case Terminate t -> beginTerminate(t.child(), t.forRestart());
            case TerminateAll t -> beginTerminateAll(t.children());
            case Pause p -> {
                for (Child child : p.children()) {
                    if (child.inPlace() && child.ref != null && !child.suspended) {
                        SupervisionSupport.pause(child.ref);
                    }
                }
            }
            case Start s -> beginStart(s.child(), s.group());
            case AwaitEnd a -> {
                if (!SupervisionSupport.hasEnded(a.ref())) {
                    awaitedRef = a.ref();
                    waiting = Wait.END;
                }
            }
            case Delay d -> {
                waiting = Wait.TIMER;
                timer = SupervisionSupport.onTurnAfter(ctx, d.nanos(), () -> {
                    if (waiting == Wait.TIMER) {
                        resume();
                    }
                });
            }
            case Then t -> t.action().run();
        }
    }

    private void resume() {
        waiting = Wait.NONE;
        awaited = null;
        awaitedForGood = false;
        awaitedRef = null;
        awaitedGroup = null;
        awaitedNewCell = false;
        awaitedFailure = null;
        if (!awaitedAll.isEmpty()) {
            awaitedAll.clear(); // clearing an identity map wipes its whole table, empty or not
        }
        expiry = null;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        run();
    }

    // ---------------------------------------------------------------- stopping one child

    /** OTP's {@code shutdown/1}: ask it to stop (or kill it), and wait for its end. */
    private void beginTerminate(Child child, boolean forRestart) {
        if (child.ref == null || SupervisionSupport.hasEnded(child.ref)) {
            terminated(child, null);
            return;
        }
        awaitedForGood = !forRestart;
        boolean keepCell = forRestart && child.inPlace();
        if (child.suspended) {
            if (keepCell) {
                child.status = ChildStatus.NOT_RUNNING;
                return; // crashed: its incarnation has stopped, the cell waits for its restart
            }
            await(child, Wait.END);
            SupervisionSupport.stop(child.ref, ExitReason.SHUTDOWN); // its onStop has run already
            return;
        }
        Shutdown shutdown = child.spec.shutdown();
        if (shutdown instanceof Shutdown.BrutalKill) {
            await(child, Wait.END);
            SupervisionSupport.kill(ctx, child.ref);
            return;
        }
        long began = SupervisionSupport.nanoTime(ctx);
        boolean answered = false;
        if (keepCell) {
            await(child, Wait.SUSPENSION);
            answered = SupervisionSupport.suspend(ctx, child.ref, ExitReason.SHUTDOWN);
        } else {
            await(child, Wait.END);
            SupervisionSupport.shutdown(ctx, child.ref, ExitReason.SHUTDOWN);
        }
        if (shutdown instanceof Shutdown.Timeout timeout) {
            ActorRef<?> ref = child.ref;
            long deadline = began + timeout.timeout().toNanos();
            Runnable kill = () -> {
                if (awaited == child && child.ref == ref && (waiting == Wait.END || waiting == Wait.SUSPENSION)) {
                    waiting = Wait.END;
                    SupervisionSupport.kill(ctx, ref); // before the event: whoever hears of it finds it sent
                    publish.accept(new SupervisionEvent.ChildKilled(path, child.spec.id(), timeout.timeout()));
                    LOG.warn("child '{}' of {} ignored its shutdown timeout of {} ms: killed", child.spec.id(), path,
                            timeout.timeout().toMillis());
                }
            };
            if (!answered) {
                expireAt(deadline, kill);
            } else if (SupervisionSupport.nanoTime(ctx) > deadline) {
                kill.run(); // it stopped on this thread, past its time: what the timer would have done meanwhile
            }
        }
    }

    /**
     * Runs {@code action} at {@code deadline} unless the wait ends first ({@link #resume}).
     * The stops of a restart share one timer: a deadline later than the armed timer's waits for
     * it to fire and then re-arms it, so a stop that ends in time costs no timer of its own
     * (scheduling and cancelling one wakes the timer thread each time). The timer is cancelled
     * once the plan has nothing left to do ({@link #run}).
     */
    private void expireAt(long deadline, Runnable action) {
        expiry = action;
        expiryAt = deadline;
        if (expiryTimer == null || expiryTimerAt - deadline > 0) {
            dropExpiryTimer();
            armExpiry(deadline);
        }
    }

    private void armExpiry(long deadline) {
        long generation = ++expiryGeneration;
        expiryTimerAt = deadline;
        long delay = Math.max(0, deadline - SupervisionSupport.nanoTime(ctx));
        expiryTimer = SupervisionSupport.onTurnAfter(ctx, delay, () -> expiryDue(generation));
    }

    private void expiryDue(long generation) {
        if (generation != expiryGeneration || expiryTimer == null) {
            return; // cancelled after it fired
        }
        expiryTimer = null;
        if (expiry == null) {
            return;
        }
        if (SupervisionSupport.nanoTime(ctx) - expiryAt >= 0) {
            Runnable action = expiry;
            expiry = null;
            action.run();
        } else {
            armExpiry(expiryAt);
        }
    }

    private void dropExpiryTimer() {
        if (expiryTimer != null) {
            expiryTimer.cancel();
            expiryTimer = null;
        }
    }

    private void beginTerminateAll(List<Child> children) {
        Shutdown shutdown = null;
        for (Child child : children) {
            if (child.ref == null || SupervisionSupport.hasEnded(child.ref)) {
                terminated(child, null);
                continue;
            }
            awaitedAll.add(child);
            if (child.suspended) {
                SupervisionSupport.stop(child.ref, ExitReason.SHUTDOWN); // crashed, awaiting its restart
                continue;
            }
            shutdown = child.spec.shutdown();
            if (shutdown instanceof Shutdown.BrutalKill) {
                SupervisionSupport.kill(ctx, child.ref);
            } else {
                SupervisionSupport.shutdown(ctx, child.ref, ExitReason.SHUTDOWN);
            }
        }
        if (awaitedAll.isEmpty()) {
            return;
        }
        waiting = Wait.ALL_ENDS;
        awaitedForGood = true;
        if (shutdown instanceof Shutdown.Timeout timeout) {
            timer = SupervisionSupport.onTurnAfter(ctx, timeout.timeout().toNanos(), () -> {
                if (waiting != Wait.ALL_ENDS) {
                    return;
                }
                timer = null;
                int killed = 0;
                for (Child child : List.copyOf(awaitedAll)) {
                    if (!child.suspended) {
                        SupervisionSupport.kill(ctx, child.ref);
                        publish.accept(new SupervisionEvent.ChildKilled(path, child.spec.id(), timeout.timeout()));
                        killed++;
                    }
                }
                LOG.warn("{} of {}'s children ignored their shutdown timeout of {} ms: killed", killed, path,
                        timeout.timeout().toMillis());
            });
        }
    }

    private void await(Child child, Wait what) {
        awaited = child;
        waiting = what;
    }

    /** The child's incarnation has stopped: its cell kept ({@code cellGone} null) or gone. */
    private void terminated(Child child, Boolean cellGone) {
        child.status = ChildStatus.NOT_RUNNING;
        if (cellGone == null || cellGone) {
            child.ref = null;
            child.suspended = false;
            changed.accept(child, Change.REF);
        } else {
            child.suspended = true;
        }
    }

    // ---------------------------------------------------------------- starting one child

    private void beginStart(Child child, Group group) {
        if (child.cellKept() && !child.inPlace()) {
            // A child supervisor that crashed: its cell ends before a new one starts.
            steps.addFirst(new Start(child, group));
            beginTerminate(child, false);
            return;
        }
        if (group.restart) {
            child.restarts++;
        }
        if (child.cellKept() && !SupervisionSupport.hasEnded(child.ref)) {
            child.incarnation++;
            awaitedGroup = group;
            await(child, Wait.STARTING);
            SupervisionSupport.restart(child.ref);
            return;
        }
        if (child.ref != null && !SupervisionSupport.hasEnded(child.ref)) {
            throw new IllegalStateException("bug: " + path + " would start child '" + child + "' while its cell "
                    + child.ref.path() + " lives");
        }
        Outcome outcome = startNow(child);
        if (outcome.pending()) {
            awaitedGroup = group;
            awaitedNewCell = true;
            await(child, Wait.STARTING);
            return;
        }
        if (outcome.failure() != null) {
            if (outcome.endingRef() != null) {
                awaitedGroup = group;
                awaitedFailure = outcome.failure();
                awaitedRef = outcome.endingRef();
                await(child, Wait.FAILED_START_END);
                return;
            }
            startFailed(child, group, outcome.failure());
        } else if (outcome.ignored()) {
            changed.accept(child, Change.IGNORED);
        } else {
            changed.accept(child, group.restart ? Change.RESTARTED : Change.STARTED);
        }
    }

    private void startFailed(Child child, Group group, Throwable failure) {
        lastFailure = failure;
        child.status = child.status == ChildStatus.RUNNING ? ChildStatus.NOT_RUNNING : child.status;
        steps.removeIf(step -> step instanceof Start start && start.group() == group);
        group.onFailure.accept(child);
    }

    /**
     * Starts a child in a new cell, now, on this turn (OTP's {@code do_start_child}).
     *
     * @return what came of it; on success the child runs
     */
    private Outcome startNow(Child child) {
        ChildSpec childSpec = child.spec;
        ChildSetup setup = new ChildSetup(childSpec.id(), childSpec.mailboxCapacity(), childSpec.retries(),
                childSpec.snapshotEvery(), child.restarts, childSpec.kind() == ChildKind.SUPERVISOR,
                reportsProgress, childSpec.pinned());
        Started result = switch (childSpec.start()) {
            case ChildSpec.ActorStart start -> SupervisionSupport.spawnActor(ctx, setup, start.factory());
            case ChildSpec.ProcessStart start -> SupervisionSupport.spawnProcess(ctx, setup, start.body());
            case ChildSpec.SupervisorStart start ->
                SupervisionSupport.spawnActor(ctx, setup, SupervisorActor.factory(start.spec(), null, null));
        };
        child.incarnation = 0;
        child.suspended = false;
        if (result.ignored()) {
            child.ref = null;
            child.status = ChildStatus.NOT_RUNNING;
            changed.accept(child, Change.REF);
            return new Outcome(null, true, null, false);
        }
        if (result.startFailure() != null) {
            child.ref = null;
            child.status = ChildStatus.NOT_RUNNING;
            changed.accept(child, Change.REF);
            boolean ending = !SupervisionSupport.hasEnded(result.ref());
            return new Outcome(result.startFailure(), false, ending ? result.ref() : null, false);
        }
        child.ref = result.ref();
        child.status = ChildStatus.RUNNING;
        changed.accept(child, Change.REF);
        return new Outcome(null, false, null, result.pending());
    }

    // ---------------------------------------------------------------- reports

    /** @return whether the plan still has to stop this child */
    boolean stopsLater(Child child) {
        for (Step step : steps) {
            if (step instanceof Terminate t && t.child() == child) {
                return true;
            }
        }
        return false;
    }

    /** The child's incarnation stopped on its own before the plan got to stopping it: that stop is done. */
    void absorb(Child child, boolean cellKept) {
        child.status = ChildStatus.NOT_RUNNING;
        if (cellKept) {
            child.suspended = true;
        } else {
            child.ref = null;
            child.suspended = false;
            changed.accept(child, Change.REF);
        }
    }

    /** The child crashed; @return whether this was what the plan waited for */
    boolean consumeFailed(Child child, ExitReason reason) {
        if (waiting == Wait.ALL_ENDS && awaitedAll.contains(child)) {
            publishCrash(child, reason);
            child.suspended = true;
            SupervisionSupport.stop(child.ref, ExitReason.SHUTDOWN); // end the cell too; keep waiting
            return true;
        }
        if (awaited != child) {
            return false;
        }
        switch (waiting) {
            case SUSPENSION -> {
                publishCrash(child, reason);
                terminated(child, false);
                resume();
            }
            case END -> {
                publishCrash(child, reason);
                child.suspended = true;
                SupervisionSupport.stop(child.ref, ExitReason.SHUTDOWN); // end the cell too; keep waiting
            }
            case STARTING -> {
                child.suspended = true;
                Group group = awaitedGroup;
                endWait();
                startFailed(child, group, reason instanceof ExitReason.Crash crash ? crash.cause()
                        : new IllegalStateException(String.valueOf(reason)));
                run();
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void publishCrash(Child child, ExitReason reason) {
        if (reason.isFailure()) {
            publish.accept(new SupervisionEvent.ChildCrashed(path, child.spec.id(), reason, child.restarts));
        }
    }

    /** The child's cell ended; @return whether this was what the plan waited for */
    boolean consumeTerminated(Child child, ExitReason reason) {
        if (waiting == Wait.ALL_ENDS && awaitedAll.remove(child)) {
            terminated(child, true);
            publish.accept(new SupervisionEvent.ChildStopped(path, child.spec.id(), reason));
            if (awaitedAll.isEmpty()) {
                resume();
            }
            return true;
        }
        if (awaited != child) {
            return false;
        }
        switch (waiting) {
            case END, SUSPENSION -> {
                terminated(child, true);
                if (awaitedForGood) {
                    publish.accept(new SupervisionEvent.ChildStopped(path, child.spec.id(), reason));
                }
                resume();
            }
            case STARTING -> {
                Group group = awaitedGroup;
                Throwable failure = SupervisionSupport.startFailureOf(child.ref);
                terminated(child, true);
                endWait();
                startFailed(child, group, failure != null ? failure : reason instanceof ExitReason.Crash crash
                        ? crash.cause() : new IllegalStateException("ended while starting: " + reason));
                run();
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** A cell that is no longer a child's ended; @return whether the plan waited for it */
    boolean consumeEnded(ActorRef<?> ref) {
        if (ref == null || ref != awaitedRef) {
            return false;
        }
        if (waiting == Wait.FAILED_START_END) {
            Child child = awaited;
            Group group = awaitedGroup;
            Throwable failure = awaitedFailure;
            waiting = Wait.NONE;
            awaited = null;
            awaitedRef = null;
            awaitedGroup = null;
            awaitedFailure = null;
            startFailed(child, group, failure);
            run();
            return true;
        }
        if (waiting == Wait.END && awaited == null) {
            resume();
            return true;
        }
        return false;
    }

    /** The child's incarnation stopped as asked. */
    void consumeSuspended(Child child) {
        if (awaited == child && waiting == Wait.SUSPENSION) {
            terminated(child, false);
            resume();
        }
    }

    /** The child's in-place restart declined to start: it stays, not running, its cell kept; the group goes on. */
    void consumeIgnored(Child child) {
        if (awaited == child && waiting == Wait.STARTING) {
            child.suspended = true;
            child.status = ChildStatus.NOT_RUNNING;
            endWait();
            changed.accept(child, Change.IGNORED);
            run();
        }
    }

    /** The child's in-place restart ran its start. */
    void consumeRestarted(Child child) {
        if (awaited == child && waiting == Wait.STARTING) {
            child.suspended = false;
            child.status = ChildStatus.RUNNING;
            Group group = awaitedGroup;
            boolean newCell = awaitedNewCell;
            endWait();
            changed.accept(child, !group.restart ? Change.STARTED
                    : newCell ? Change.RESTARTED : Change.RESTARTED_IN_PLACE);
            run();
        }
    }

    /** The start or restart awaited has ended, one way or the other. */
    private void endWait() {
        waiting = Wait.NONE;
        awaited = null;
        awaitedGroup = null;
        awaitedNewCell = false;
    }

    void cancelTimers() {
        expiry = null;
        dropExpiryTimer();
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }
}
