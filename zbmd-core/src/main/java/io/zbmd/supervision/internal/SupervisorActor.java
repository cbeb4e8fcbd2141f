package io.zbmd.supervision.internal;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.Signal;
import io.zbmd.actor.internal.SupervisionSupport;
import io.zbmd.actor.internal.SupervisionSupport.ChildSetup;
import io.zbmd.actor.internal.SupervisionSupport.Started;
import io.zbmd.supervision.ChildCounts;
import io.zbmd.supervision.ChildInfo;
import io.zbmd.supervision.ChildKind;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.DynamicSupervisorSpec;
import io.zbmd.supervision.RestartCounting;
import io.zbmd.supervision.RestartType;
import io.zbmd.supervision.Shutdown;
import io.zbmd.supervision.Strategy;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.SupervisorStartException;
import io.zbmd.supervision.internal.SupervisorCommand.Failure;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A supervisor, as OTP's {@code supervisor} behaviour: starts its children in order, applies
 * its strategy when one ends, counts restarts against its intensity, stops its children in
 * reverse order honouring their shutdown, and gives up (escalates) past the intensity.
 *
 * <p>Like OTP's, it is sequential: while it stops children one by one (a
 * {@link StopSequence}), reports and commands that arrive wait in {@code deferred} and are
 * handled afterwards, in order.
 *
 * <p>Unlike OTP's, a child that crashes is restarted <em>in place</em>: same ref, mailbox
 * kept, last snapshot restored (see {@code ChildSupervision}); siblings restarted by
 * one-for-all or rest-for-one are stopped and restarted in place too. A child whose actor was
 * ended from outside (a normal exit, an exit signal from a link, a kill) is replaced by a new
 * actor, as OTP replaces a process.
 */
public final class SupervisorActor implements Actor<SupervisorCommand>, SupervisionSupport.Supervising {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorActor.class);

    private final ActorContext<SupervisorCommand> ctx;
    private final SupervisorSpec spec;
    private final DynamicSupervisorSpec<?, ?> dynamic;
    private final CompletableFuture<Void> started;
    /** In start order. */
    private final List<Child> children = new ArrayList<>();
    private final java.util.HashMap<String, Child> byId = new java.util.HashMap<>();
    private final java.util.IdentityHashMap<ActorRef<?>, Child> byRef = new java.util.IdentityHashMap<>();
    /** The restarts within the period that still count against the intensity, oldest first. */
    private final ArrayDeque<Restart> countedRestarts = new ArrayDeque<>();
    private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
    private StopSequence sequence;
    /** Children still to restart, in start order, one at a time; null when none. */
    private ArrayDeque<Child> restarting;
    /** The child whose in-place restart the restart sequence waits for. */
    private Child awaitingRestart;
    /** The child whose exit started the restart sequence. */
    private Child restartTrigger;
    private boolean stopping;
    private SplittableRandom random;
    private String path;
    private int nextStartIndex;
    private int dynamicCount;

    /** A restart counted against the intensity: when, and for whose failure. */
    private record Restart(long atNanos, Child cause) {}

    /** Where a child stands, as the supervisor sees it. */
    enum Phase {
        RUNNING,
        /** Crashed or stopped on request, cell kept, waiting for a restart in place. */
        SUSPENDED,
        /** Asked to stop (its incarnation, or for good); waiting for it. */
        STOPPING,
        /** Waiting out a backoff delay before its restart. */
        RESTART_PENDING,
        /** Not running. */
        STOPPED
    }

    /** One child: its spec and its current state. */
    static final class Child {
        final ChildSpec spec;
        final int startIndex;
        ActorRef<?> ref;
        Phase phase = Phase.STOPPED;
        int incarnation;
        int restarts;
        int consecutive;
        long lastRestartNanos;
        Cancellable timer;
        /** The cell is being ended on purpose: its ChildTerminated is expected. */
        boolean endExpected;

        Child(ChildSpec spec, int startIndex) {
            this.spec = spec;
            this.startIndex = startIndex;
        }

        boolean isRunning() {
            return phase != Phase.STOPPED;
        }
    }

    private SupervisorActor(ActorContext<SupervisorCommand> ctx, SupervisorSpec spec, DynamicSupervisorSpec<?, ?> dynamic,
            CompletableFuture<Void> started) {
        this.ctx = ctx;
        this.spec = spec;
        this.dynamic = dynamic;
        this.started = started;
    }

    /**
     * A factory for a supervisor actor.
     *
     * @param spec the supervisor's spec
     * @param dynamic the dynamic template, or null for a static supervisor
     * @param started completed when its children have started, exceptionally if one failed
     *     (null if nobody waits)
     * @return the factory
     */
    public static ActorFactory<SupervisorCommand> factory(SupervisorSpec spec, DynamicSupervisorSpec<?, ?> dynamic,
            CompletableFuture<Void> started) {
        return ctx -> new SupervisorActor(ctx, spec, dynamic, started);
    }

    // ---------------------------------------------------------------- start

    @Override
    public void onStart() {
        path = ctx.self().path();
        ctx.trapExits(true);
        SupervisionSupport.exemptFromFaults(ctx);
        for (ChildSpec childSpec : spec.children()) {
            Child child = new Child(childSpec, nextStartIndex++);
            add(child);
            Started result = startNew(child);
            if (result.startFailure() != null) {
                SupervisorStartException failure = new SupervisorStartException("supervisor " + path
                        + " could not start: child '" + childSpec.id() + "' failed to start: "
                        + result.startFailure(), childSpec.id(), result.startFailure());
                if (started != null) {
                    started.completeExceptionally(failure);
                }
                throw failure;
            }
            publish(new SupervisionEvent.ChildStarted(path, childSpec.id(), child.ref));
        }
        if (started != null) {
            started.complete(null);
        }
    }

    /** Spawns a new cell for the child; it starts now, on this thread. */
    private Started startNew(Child child) {
        ChildSpec childSpec = child.spec;
        ChildSetup setup = new ChildSetup(childSpec.id(), childSpec.mailboxCapacity(), childSpec.retries(),
                childSpec.snapshotEvery(), child.restarts, childSpec.kind() == ChildKind.SUPERVISOR,
                spec.counting() == RestartCounting.UNRECOVERED);
        Started result = switch (childSpec.start()) {
            case ChildSpec.ActorStart start -> SupervisionSupport.spawnActor(ctx, setup, start.factory());
            case ChildSpec.ProcessStart start -> SupervisionSupport.spawnProcess(ctx, setup, start.body());
            case ChildSpec.SupervisorStart start ->
                SupervisionSupport.spawnActor(ctx, setup, factory(start.spec(), null, null));
        };
        child.incarnation = 0;
        child.endExpected = false;
        if (result.startFailure() == null) {
            setRef(child, result.ref());
            child.phase = Phase.RUNNING;
        } else {
            setRef(child, null); // the failed cell is ending by itself
            child.phase = Phase.STOPPED;
        }
        return result;
    }

    // ---------------------------------------------------------------- reports from children

    @Override
    public void childFailed(ActorRef<?> ref, ExitReason reason, int incarnation) {
        Child child = find(ref);
        if (child == null || incarnation != child.incarnation) {
            return; // a report about an incarnation already dealt with
        }
        if (child.phase == Phase.STOPPING) {
            if (sequence != null && sequence.current == child && !sequence.forGood) {
                acknowledge(child); // it crashed while we asked it to stop: it is suspended now
            }
            return;
        }
        if (child == awaitingRestart) {
            // Its restart failed: go on with the others, then deal with this failure.
            awaitingRestart = null;
            child.phase = Phase.SUSPENDED;
            deferred.add(() -> handleExit(child, reason, true));
            advanceRestarts();
            return;
        }
        if (busy()) {
            deferred.add(() -> childFailed(ref, reason, incarnation));
            return;
        }
        child.phase = Phase.SUSPENDED;
        handleExit(child, reason, true);
    }

    @Override
    public void childSuspended(ActorRef<?> ref, int incarnation) {
        Child child = find(ref);
        if (child != null && sequence != null && sequence.current == child && !sequence.forGood) {
            acknowledge(child);
        }
    }

    @Override
    public void childTerminated(ActorRef<?> ref, ExitReason reason) {
        Child child = find(ref);
        if (child == null) {
            return;
        }
        setRef(child, null);
        if (child == awaitingRestart) {
            awaitingRestart = null; // it ended instead of restarting: go on, then deal with it
            child.phase = Phase.STOPPED;
            deferred.add(() -> handleExit(child, reason, false));
            advanceRestarts();
            return;
        }
        if (child.endExpected || child.phase == Phase.STOPPING) {
            child.endExpected = false;
            boolean current = sequence != null && sequence.current == child;
            child.phase = Phase.STOPPED;
            if (current) {
                acknowledge(child);
            }
            return;
        }
        child.phase = Phase.STOPPED;
        if (stopping) {
            publish(new SupervisionEvent.ChildStopped(path, child.spec.id(), reason));
            return;
        }
        if (busy()) {
            deferred.add(() -> handleExit(child, reason, false));
            return;
        }
        handleExit(child, reason, false);
    }

    /** A child ended (crashed in place, or its cell is gone): restart or not, per the spec. */
    private void handleExit(Child child, ExitReason reason, boolean inPlace) {
        if (stopping || byId.get(child.spec.id()) != child) {
            return;
        }
        if (reason.isFailure()) {
            publish(new SupervisionEvent.ChildCrashed(path, child.spec.id(), reason, child.restarts));
        }
        if (!child.spec.restart().restartsAfter(reason)) {
            endForGood(child, reason);
            return;
        }
        if (intensityExceeded(child)) {
            giveUp(reason);
            return;
        }
        Strategy strategy = spec.strategy();
        if (strategy == Strategy.ONE_FOR_ONE) {
            restart(child, inPlace);
            return;
        }
        List<Child> affected = new ArrayList<>();
        for (Child other : children) {
            boolean after = other.startIndex > child.startIndex;
            if (other != child && other.isRunning() && (strategy == Strategy.ONE_FOR_ALL || after)) {
                affected.add(other);
            }
        }
        List<Child> reverse = new ArrayList<>(affected);
        reverse.sort(Comparator.comparingInt((Child c) -> c.startIndex).reversed());
        affected.add(child);
        affected.sort(Comparator.comparingInt(c -> c.startIndex));
        runSequence(reverse, false, () -> restartInOrder(affected, child));
    }

    /**
     * Restarts children in start order, waiting for each in-place restart to have run its
     * start before the next, as OTP starts children one after the other.
     */
    private void restartInOrder(List<Child> affected, Child trigger) {
        restarting = new ArrayDeque<>(affected);
        restartTrigger = trigger;
        advanceRestarts();
    }

    private void advanceRestarts() {
        while (restarting != null && awaitingRestart == null) {
            Child next = restarting.poll();
            if (next == null) {
                restarting = null;
                restartTrigger = null;
                drainDeferred();
                return;
            }
            if (next != restartTrigger && next.spec.restart() == RestartType.TEMPORARY) {
                endForGood(next, ExitReason.SHUTDOWN); // OTP: temporary siblings are not restarted
                continue;
            }
            restart(next, next.phase == Phase.SUSPENDED);
            if (next.phase == Phase.RUNNING && next.ref != null && next.incarnation > 0) {
                awaitingRestart = next; // restarted in place: its start runs on its own turn
            }
        }
    }

    @Override
    public void childRestarted(ActorRef<?> ref, int incarnation) {
        Child child = find(ref);
        if (child != null && child == awaitingRestart && incarnation == child.incarnation) {
            awaitingRestart = null;
            advanceRestarts();
        }
    }

    /** The child will not run again: end its cell if it is suspended, drop it if temporary. */
    private void endForGood(Child child, ExitReason reason) {
        cancelTimer(child);
        if (child.ref != null && !SupervisionSupport.hasEnded(child.ref)) {
            child.endExpected = true;
            SupervisionSupport.stop(child.ref, reason);
        }
        stoppedForGood(child, reason);
    }

    /** Records that a child stopped for good; temporary and dynamic children are forgotten. */
    private void stoppedForGood(Child child, ExitReason reason) {
        child.phase = Phase.STOPPED;
        publish(new SupervisionEvent.ChildStopped(path, child.spec.id(), reason));
        if (child.spec.restart() == RestartType.TEMPORARY || dynamic != null) {
            remove(child);
        }
    }

    /**
     * OTP's intensity: more than {@code intensity} restarts within {@code period}, counting
     * this one (for {@code cause}'s exit). With {@link RestartCounting#UNRECOVERED}, restarts a
     * child has recovered from have left the count ({@link #childProgressed}).
     */
    private boolean intensityExceeded(Child cause) {
        long now = ctx.nanoTime();
        countedRestarts.addLast(new Restart(now, cause));
        long horizon = now - spec.period().toNanos();
        while (!countedRestarts.isEmpty() && countedRestarts.peekFirst().atNanos() < horizon) {
            countedRestarts.removeFirst();
        }
        return countedRestarts.size() > spec.intensity();
    }

    @Override
    public void childProgressed(ActorRef<?> ref, int incarnation) {
        Child child = find(ref);
        if (child != null && incarnation == child.incarnation && child.phase == Phase.RUNNING) {
            countedRestarts.removeIf(restart -> restart.cause() == child);
        }
    }

    private void restart(Child child, boolean inPlace) {
        long delay = backoffNanos(child);
        if (delay > 0) {
            child.phase = Phase.RESTART_PENDING;
            child.timer = SupervisionSupport.onTurnAfter(ctx, delay, () -> {
                if (child.phase == Phase.RESTART_PENDING && !stopping) {
                    doRestart(child, inPlace);
                }
            });
            return;
        }
        doRestart(child, inPlace);
    }

    private long backoffNanos(Child child) {
        if (!spec.backoff().enabled()) {
            return 0;
        }
        long now = ctx.nanoTime();
        if (now - child.lastRestartNanos > spec.backoff().max().toNanos() * 2) {
            child.consecutive = 0; // it ran long enough: start the backoff over
        }
        child.consecutive++;
        child.lastRestartNanos = now;
        if (random == null) {
            random = SupervisionSupport.random(ctx);
        }
        return spec.backoff().delayNanos(child.consecutive, random.nextDouble());
    }

    private void doRestart(Child child, boolean inPlace) {
        child.restarts++;
        if (inPlace && child.ref != null && !SupervisionSupport.hasEnded(child.ref)) {
            child.incarnation++;
            child.phase = Phase.RUNNING;
            SupervisionSupport.restart(child.ref);
            publish(new SupervisionEvent.ChildRestarted(path, child.spec.id(), child.ref, child.restarts, true));
            return;
        }
        if (child.ref != null) {
            child.endExpected = true; // a suspended cell that ended meanwhile: forget it
        }
        Started result = startNew(child);
        if (result.startFailure() != null) {
            handleExit(child, ExitReason.crash(result.startFailure()), false);
            return;
        }
        publish(new SupervisionEvent.ChildRestarted(path, child.spec.id(), child.ref, child.restarts, false));
    }

    // ---------------------------------------------------------------- stopping children in order

    /**
     * Stops children one at a time, in the order given, each per its shutdown: suspended in
     * place ({@code forGood} false, for a restart) or ended. Then runs {@code then}.
     */
    private final class StopSequence {
        final ArrayDeque<Child> queue;
        final boolean forGood;
        /** What follows the stops; a stop request arriving meanwhile replaces it. */
        Runnable then;
        Child current;
        Cancellable timer;

        StopSequence(List<Child> order, boolean forGood, Runnable then) {
            this.queue = new ArrayDeque<>(order);
            this.forGood = forGood;
            this.then = then;
        }
    }

    private boolean busy() {
        return sequence != null || restarting != null;
    }

    private void runSequence(List<Child> order, boolean forGood, Runnable then) {
        sequence = new StopSequence(order, forGood, then);
        advance();
    }

    private void advance() {
        StopSequence running = sequence;
        while (true) {
            Child next = running.queue.poll();
            if (next == null) {
                sequence = null;
                running.then.run();
                drainDeferred();
                return;
            }
            cancelTimer(next);
            if (next.ref == null || SupervisionSupport.hasEnded(next.ref)) {
                next.phase = Phase.STOPPED;
                continue;
            }
            if (!running.forGood && next.phase == Phase.SUSPENDED) {
                continue; // already stopped in place
            }
            running.current = next;
            next.phase = Phase.STOPPING;
            if (running.forGood) {
                next.endExpected = true;
            }
            if (!requestStop(running, next)) {
                return; // wait for its report (or its timeout)
            }
            running.current = null; // brutal kill: no waiting
            if (running.forGood) {
                stoppedForGood(next, ExitReason.KILLED);
            } else {
                next.phase = Phase.STOPPED;
            }
        }
    }

    /** @return true if the child was killed and there is nothing to wait for */
    private boolean requestStop(StopSequence running, Child child) {
        Shutdown shutdown = child.spec.shutdown();
        if (shutdown instanceof Shutdown.BrutalKill) {
            child.endExpected = true;
            SupervisionSupport.kill(ctx, child.ref);
            return true;
        }
        if (running.forGood) {
            SupervisionSupport.stop(child.ref, ExitReason.SHUTDOWN);
        } else {
            SupervisionSupport.suspend(child.ref, ExitReason.SHUTDOWN);
        }
        if (shutdown instanceof Shutdown.Timeout timeout) {
            running.timer = SupervisionSupport.onTurnAfter(ctx, timeout.timeout().toNanos(), () -> {
                if (sequence == running && running.current == child) {
                    publish(new SupervisionEvent.ChildKilled(path, child.spec.id(), timeout.timeout()));
                    LOG.warn("child '{}' of {} ignored its shutdown timeout of {} ms: killed", child.spec.id(), path,
                            timeout.timeout().toMillis());
                    child.endExpected = true;
                    SupervisionSupport.kill(ctx, child.ref);
                    running.current = null;
                    if (running.forGood) {
                        stoppedForGood(child, ExitReason.KILLED);
                    } else {
                        child.phase = Phase.STOPPED;
                    }
                    advance();
                }
            });
        }
        return false;
    }

    /** The child the sequence waits for has stopped (suspended in place, or ended). */
    private void acknowledge(Child child) {
        StopSequence running = sequence;
        if (running.timer != null) {
            running.timer.cancel();
            running.timer = null;
        }
        running.current = null;
        if (running.forGood) {
            stoppedForGood(child, ExitReason.SHUTDOWN);
        } else {
            child.phase = child.ref == null ? Phase.STOPPED : Phase.SUSPENDED;
        }
        advance();
    }

    private void drainDeferred() {
        while (!busy() && !deferred.isEmpty()) {
            deferred.poll().run();
        }
    }

    private void cancelTimer(Child child) {
        if (child.timer != null) {
            child.timer.cancel();
            child.timer = null;
        }
    }

    // ---------------------------------------------------------------- giving up, stopping

    private void giveUp(ExitReason lastReason) {
        publish(new SupervisionEvent.GaveUp(path, countedRestarts.size(), spec.period(), lastReason));
        LOG.error("supervisor {} reached its restart intensity ({} restarts in {}); stopping its children and"
                + " exiting with reason shutdown (last: {})", path, countedRestarts.size(), spec.period(), lastReason);
        shutDown(ExitReason.SHUTDOWN, true);
    }

    @Override
    public boolean interceptStop(ExitReason reason) {
        if (!stopping) {
            if (sequence != null) {
                // Let the current sequence finish its stops; its follow-up becomes the shutdown.
                stopping = true;
                sequence.then = () -> shutDown(reason, false);
            } else {
                shutDown(reason, false);
            }
        }
        return true;
    }

    /** Stops every child in reverse start order, then ends this supervisor. */
    private void shutDown(ExitReason reason, boolean escalate) {
        stopping = true;
        deferred.clear();
        List<Child> reverse = new ArrayList<>();
        for (Child child : children) {
            cancelTimer(child);
            if (child.isRunning()) {
                reverse.add(child);
            }
        }
        reverse.sort(Comparator.comparingInt((Child c) -> c.startIndex).reversed());
        runSequence(reverse, true, () -> {
            if (escalate) {
                publish(new SupervisionEvent.Escalated(path, SupervisionSupport.parentPath(ctx), reason));
            }
            SupervisionSupport.endNow(ctx, reason);
        });
    }

    @Override
    public void onSignal(Signal signal) {
        if (signal instanceof Signal.Exit exit) {
            LOG.debug("supervisor {} ignores an exit signal from {} ({}): not one of its children", path,
                    exit.from().path(), exit.reason());
        }
    }

    // ---------------------------------------------------------------- commands

    @Override
    public void onMessage(SupervisorCommand command) {
        if (busy()) {
            deferred.add(() -> onMessage(command));
            return;
        }
        if (stopping) {
            command.replyTo().tell(new Failure(new IllegalStateException("supervisor " + path + " is stopping")));
            return;
        }
        switch (command) {
            case SupervisorCommand.WhichChildren which -> which.replyTo().tell(childInfos());
            case SupervisorCommand.CountChildren count -> count.replyTo().tell(counts());
            case SupervisorCommand.GetChild get -> {
                Child child = findId(get.id());
                get.replyTo().tell(Optional.ofNullable(child == null || child.phase == Phase.STOPPED ? null : child.ref));
            }
            case SupervisorCommand.RestartChild restart -> restartOnRequest(restart.id(), restart.replyTo());
            case SupervisorCommand.TerminateChild terminate -> terminateOnRequest(findId(terminate.id()),
                    "'" + terminate.id() + "'", terminate.replyTo());
            case SupervisorCommand.TerminateRef terminate -> terminateOnRequest(find(terminate.child()),
                    String.valueOf(terminate.child()), terminate.replyTo());
            case SupervisorCommand.DeleteChild delete -> deleteOnRequest(delete.id(), delete.replyTo());
            case SupervisorCommand.StartChild start -> addAndStart(start.spec(), start.replyTo());
            case SupervisorCommand.StartDynamic start -> startDynamic(start.args(), start.replyTo());
        }
    }

    private List<ChildInfo> childInfos() {
        List<ChildInfo> infos = new ArrayList<>();
        for (Child child : children) {
            infos.add(new ChildInfo(child.spec.id(), child.isRunning() ? child.ref : null, child.spec.kind(),
                    child.spec.restart(), child.restarts, child.isRunning()));
        }
        return infos;
    }

    private ChildCounts counts() {
        int active = 0;
        int supervisors = 0;
        for (Child child : children) {
            active += child.isRunning() ? 1 : 0;
            supervisors += child.spec.kind() == ChildKind.SUPERVISOR ? 1 : 0;
        }
        return new ChildCounts(children.size(), active, supervisors, children.size() - supervisors);
    }

    private void restartOnRequest(String id, ActorRef<Object> replyTo) {
        Child child = findId(id);
        if (child == null) {
            replyTo.tell(new Failure(noSuchChild(id)));
        } else if (child.isRunning()) {
            replyTo.tell(new Failure(new IllegalStateException("child '" + id + "' of supervisor " + path
                    + " is running; terminate it first to restart it")));
        } else {
            Started result = startNew(child);
            if (result.startFailure() != null) {
                replyTo.tell(new Failure(new IllegalStateException("child '" + id + "' of supervisor " + path
                        + " failed to start: " + result.startFailure(), result.startFailure())));
            } else {
                child.restarts++;
                publish(new SupervisionEvent.ChildRestarted(path, id, child.ref, child.restarts, false));
                replyTo.tell(child.ref);
            }
        }
    }

    private void terminateOnRequest(Child child, String what, ActorRef<Object> replyTo) {
        if (child == null) {
            replyTo.tell(new Failure(new IllegalArgumentException("no child " + what + " in supervisor " + path)));
            return;
        }
        if (!child.isRunning()) {
            replyTo.tell(Boolean.TRUE);
            return;
        }
        runSequence(List.of(child), true, () -> replyTo.tell(Boolean.TRUE));
    }

    private void deleteOnRequest(String id, ActorRef<Object> replyTo) {
        Child child = findId(id);
        if (child == null) {
            replyTo.tell(new Failure(noSuchChild(id)));
        } else if (child.isRunning()) {
            replyTo.tell(new Failure(new IllegalStateException("child '" + id + "' of supervisor " + path
                    + " is running; terminate it before deleting it")));
        } else {
            remove(child);
            replyTo.tell(Boolean.TRUE);
        }
    }

    private void addAndStart(ChildSpec childSpec, ActorRef<Object> replyTo) {
        if (findId(childSpec.id()) != null) {
            replyTo.tell(new Failure(new IllegalArgumentException("duplicate child id '" + childSpec.id()
                    + "' in supervisor " + path + ": child ids must be unique within a supervisor")));
            return;
        }
        Child child = new Child(childSpec, nextStartIndex++);
        add(child);
        Started result = startNew(child);
        if (result.startFailure() != null) {
            remove(child);
            replyTo.tell(new Failure(new IllegalStateException("child '" + childSpec.id() + "' of supervisor " + path
                    + " failed to start: " + result.startFailure(), result.startFailure())));
            return;
        }
        publish(new SupervisionEvent.ChildStarted(path, childSpec.id(), child.ref));
        replyTo.tell(child.ref);
    }

    private void startDynamic(Object args, ActorRef<Object> replyTo) {
        if (dynamic == null) {
            replyTo.tell(new Failure(new IllegalStateException("supervisor " + path
                    + " is not dynamic: add children with startChild(ChildSpec)")));
            return;
        }
        if (dynamic.maxChildren() > 0 && children.size() >= dynamic.maxChildren()) {
            replyTo.tell(new Failure(new IllegalStateException("dynamic supervisor " + path + " has "
                    + children.size() + " children, its maxChildren; terminate one or raise the limit")));
            return;
        }
        addAndStart(dynamic.childSpec(dynamic.name() + "-" + ++dynamicCount, args), replyTo);
    }

    private IllegalArgumentException noSuchChild(String id) {
        return new IllegalArgumentException("no child '" + id + "' in supervisor " + path);
    }

    // ---------------------------------------------------------------- helpers

    private Child find(ActorRef<?> ref) {
        return ref == null ? null : byRef.get(ref);
    }

    private Child findId(String id) {
        return byId.get(id);
    }

    private void add(Child child) {
        children.add(child);
        byId.put(child.spec.id(), child);
    }

    private void remove(Child child) {
        children.remove(child);
        byId.remove(child.spec.id(), child);
        setRef(child, null);
    }

    /** Every change of a child's ref goes through here, to keep the index right. */
    private void setRef(Child child, ActorRef<?> ref) {
        if (child.ref != null) {
            byRef.remove(child.ref, child);
        }
        child.ref = ref;
        if (ref != null) {
            byRef.put(ref, child);
        }
    }

    private void publish(SupervisionEvent event) {
        ctx.system().events().publish(event);
    }

    @Override
    public void onStop(ExitReason reason) {
        for (Child child : children) {
            cancelTimer(child);
        }
    }
}
