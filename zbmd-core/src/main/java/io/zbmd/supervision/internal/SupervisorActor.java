package io.zbmd.supervision.internal;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.Signal;
import io.zbmd.actor.internal.SupervisionSupport;
import io.zbmd.supervision.AutoShutdown;
import io.zbmd.supervision.ChildCounts;
import io.zbmd.supervision.ChildInfo;
import io.zbmd.supervision.ChildKind;
import io.zbmd.supervision.ChildRequestException;
import io.zbmd.supervision.ChildRequestException.Refusal;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.ChildStartException;
import io.zbmd.supervision.ChildStatus;
import io.zbmd.supervision.DynamicSupervisorSpec;
import io.zbmd.supervision.RestartType;
import io.zbmd.supervision.Strategy;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.SupervisorStartException;
import io.zbmd.supervision.internal.SupervisorCommand.Failure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A supervisor, as OTP's {@code supervisor} behaviour ({@code supervisor.erl}): starts its
 * children in order, applies its strategy when one ends, counts restarts against its
 * intensity, stops children in reverse order honouring their shutdowns, and gives up past
 * the intensity. The decisions are OTP's, line for line where they show (the differential
 * test against OTP checks them); how they are carried out is zbmd's:
 *
 * <ul>
 *   <li>OTP's supervisor is sequential: while it shuts a child down it waits for that child's
 *       end in a selective receive, and every other exit and call waits in its mailbox. Here
 *       the waiting is a {@link Plan} of steps (stop this child, start that one), each of which
 *       may wait for a child's report; what arrives meanwhile waits in {@code deferred} and is
 *       handled afterwards, in order. A report about a child that the plan is still to stop
 *       is taken as that stop done, as OTP's {@code unlink_flush} takes the child's exit.
 *   <li>A worker that crashed is restarted <em>in place</em>: same ref, mailbox kept, last
 *       snapshot restored, the crashed message retried if asked (see {@code ChildSupervision});
 *       siblings stopped by one-for-all or rest-for-one are stopped and restarted in place too.
 *       The old incarnation's {@code onStop} has always run before the new one's
 *       {@code onStart}. A worker ended from outside (a normal exit, an exit signal, a kill)
 *       and every child supervisor are replaced by a new actor, as OTP replaces a process.
 * </ul>
 */
public final class SupervisorActor implements Actor<SupervisorCommand>, SupervisionSupport.Supervising {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorActor.class);

    private final ActorContext<SupervisorCommand> ctx;
    private final SupervisorSpec spec;
    private final DynamicSupervisorSpec<?, ?> dynamic;
    private final CompletableFuture<Void> started;
    /** In start order; OTP's children list. */
    private final List<Child> children = new ArrayList<>();
    private final Map<String, Child> byId = new HashMap<>();
    private final Map<ActorRef<?>, Child> byRef = new IdentityHashMap<>();
    private final RestartWindow window;
    private final Plan plan;
    private String path;
    private int dynamicCount;
    /** A shutdown has begun: no more restarts, requests refused. */
    private boolean stopping;
    /** Why this supervisor's own start failed, while it stops what it started. */
    private Throwable startFailure;
    /** Every child of the spec has started (or declined to). */
    private boolean startFinished;

    private SupervisorActor(ActorContext<SupervisorCommand> ctx, SupervisorSpec spec, DynamicSupervisorSpec<?, ?> dynamic,
            CompletableFuture<Void> started) {
        this.ctx = ctx;
        this.spec = spec;
        this.dynamic = dynamic;
        this.started = started;
        this.window = new RestartWindow(spec, ctx);
        this.plan = new Plan(ctx, spec, this::publish, this::childStatusChanged);
    }

    /**
     * A factory for a supervisor actor.
     *
     * @param spec the supervisor's spec
     * @param dynamic the dynamic template, or null for a static supervisor
     * @param started completed when its children have started, exceptionally as soon as one
     *     failed (the ones started are then stopped in reverse order before the supervisor
     *     ends); null if nobody waits
     * @return the factory
     */
    public static ActorFactory<SupervisorCommand> factory(SupervisorSpec spec, DynamicSupervisorSpec<?, ?> dynamic,
            CompletableFuture<Void> started) {
        return ctx -> new SupervisorActor(ctx, spec, dynamic, started);
    }

    // ---------------------------------------------------------------- start (OTP's init)

    @Override
    public void onStart() {
        path = ctx.self().path();
        plan.path(path);
        ctx.trapExits(true);
        SupervisionSupport.exemptFromFaults(ctx);
        for (ChildSpec childSpec : spec.children()) {
            String problem = significantProblem(childSpec);
            if (problem != null) {
                // OTP's check_startspec: a bad spec fails the start before any child starts.
                failStart(new SupervisorStartException("supervisor " + path + " could not start: " + problem,
                        childSpec.id(), new IllegalArgumentException(problem)), null, List.of());
                return;
            }
        }
        List<Child> initial = new ArrayList<>();
        for (ChildSpec childSpec : spec.children()) {
            Child child = new Child(childSpec);
            add(child);
            initial.add(child);
        }
        plan.startGroup(initial, false, failed -> initialStartFailed(initial, failed));
        plan.then(this::startFinished);
        plan.run();
        if (!startFinished && !stopping) {
            // A process child's init (or a child supervisor waiting for one) goes on: OTP's
            // start_link waits for it, and so does whoever started this supervisor.
            SupervisionSupport.startPending(ctx);
        }
    }

    private void initialStartFailed(List<Child> initial, Child failed) {
        Throwable cause = plan.lastFailure();
        List<Child> startedInOrder = new ArrayList<>();
        for (Child child : initial.subList(0, initial.indexOf(failed))) {
            if (child.status == ChildStatus.RUNNING) {
                startedInOrder.add(child);
            }
        }
        if (failed.cellKept()) {
            plan.terminate(failed, false); // a process actor whose init failed: its cell waits, suspended
        }
        failStart(new SupervisorStartException("supervisor " + path + " could not start: child '" + failed.spec.id()
                + "' failed to start: " + cause, failed.spec.id(), cause), null, startedInOrder);
    }

    private void startFinished() {
        if (stopping) {
            return;
        }
        startFinished = true;
        if (started != null) {
            started.complete(null);
        }
        SupervisionSupport.startDone(ctx);
    }

    /**
     * OTP's {@code init_children} on a failed start: the children started are stopped in
     * reverse order, then the supervisor ends with reason shutdown. A supervisor that is
     * itself a child says so to its parent at once ({@link SupervisionSupport#failStart}); the
     * parent waits for its end.
     */
    private void failStart(SupervisorStartException failure, ActorRef<?> endingRef, List<Child> startedInOrder) {
        startFailure = failure;
        stopping = true;
        SupervisionSupport.failStart(ctx, failure);
        if (started != null) {
            started.completeExceptionally(failure); // whoever waits for the end waits for the cleanup too
        }
        if (endingRef != null) {
            plan.awaitEnd(endingRef);
        }
        for (Child c : startedInOrder.reversed()) {
            plan.terminate(c, false);
        }
        plan.then(() -> SupervisionSupport.endNow(ctx, ExitReason.SHUTDOWN));
        plan.run();
    }

    // ---------------------------------------------------------------- reports from children

    /** @return the child whose current incarnation a report is about, or null for a stale report */
    private Child current(ActorRef<?> ref, int incarnation) {
        Child child = byRef.get(ref);
        return child != null && child.incarnation == incarnation ? child : null;
    }

    @Override
    public void childFailed(ActorRef<?> ref, ExitReason reason, int incarnation) {
        Child child = current(ref, incarnation);
        if (child == null || plan.consumeFailed(child, reason)) {
            return;
        }
        report(child, () -> exited(child, reason, true), reason, true);
    }

    @Override
    public void childTerminated(ActorRef<?> ref, ExitReason reason) {
        Child child = byRef.get(ref);
        if (child == null) {
            plan.consumeEnded(ref); // a cell the plan waits for that is no longer a child's
            return;
        }
        if (plan.consumeTerminated(child, reason)) {
            return;
        }
        report(child, () -> exited(child, reason, false), reason, false);
    }

    @Override
    public void childSuspended(ActorRef<?> ref, int incarnation) {
        Child child = current(ref, incarnation);
        if (child != null) {
            plan.consumeSuspended(child);
        }
    }

    @Override
    public void childRestarted(ActorRef<?> ref, int incarnation) {
        Child child = current(ref, incarnation);
        if (child != null) {
            plan.consumeRestarted(child);
        }
    }

    @Override
    public void childIgnored(ActorRef<?> ref, int incarnation) {
        Child child = current(ref, incarnation);
        if (child != null) {
            plan.consumeIgnored(child);
        }
    }

    @Override
    public void childProgressed(ActorRef<?> ref, int incarnation) {
        Child child = current(ref, incarnation);
        if (child != null && child.status == ChildStatus.RUNNING) {
            window.forgive(child);
        }
    }

    /**
     * An exit the plan was not waiting for. If the plan is still to stop that child, the exit
     * is that stop (OTP's {@code unlink_flush}); if the plan is busy otherwise, it waits its
     * turn; else it is handled now.
     */
    private void report(Child child, Runnable handling, ExitReason reason, boolean cellKept) {
        if (stopping) {
            plan.absorb(child, cellKept);
            return;
        }
        if (plan.stopsLater(child)) {
            if (reason.isFailure()) {
                publish(new SupervisionEvent.ChildCrashed(path, child.spec.id(), reason, child.restarts));
            }
            plan.absorb(child, cellKept);
            return;
        }
        int incarnation = child.incarnation;
        ActorRef<?> ref = child.ref;
        plan.input(() -> {
            if (child.ref == ref && child.incarnation == incarnation && byId.get(child.spec.id()) == child) {
                handling.run();
            }
        });
    }

    /** OTP's {@code do_restart}: a child ended; restart it, or keep it stopped. */
    private void exited(Child child, ExitReason reason, boolean cellKept) {
        child.ended(cellKept);
        if (reason.isFailure()) {
            publish(new SupervisionEvent.ChildCrashed(path, child.spec.id(), reason, child.restarts));
        }
        if (!child.spec.restart().restartsAfter(reason)) {
            endForGood(child, reason);
            return;
        }
        restart(child, reason);
    }

    /**
     * The child will not run again (OTP's {@code del_child}): its kept cell is ended, a
     * temporary child forgotten; then, if it was significant, OTP's {@code do_auto_shutdown}.
     */
    private void endForGood(Child child, ExitReason reason) {
        if (child.cellKept()) {
            plan.terminate(child, false);
        }
        plan.then(() -> {
            publish(new SupervisionEvent.ChildStopped(path, child.spec.id(), reason));
            if (child.spec.restart() == RestartType.TEMPORARY || dynamic != null) {
                remove(child);
            }
            if (child.spec.significant() && autoShutdown()) {
                shutDown(ExitReason.SHUTDOWN, false);
            }
        });
    }

    /** @return whether a significant child having ended for good ends this supervisor now */
    private boolean autoShutdown() {
        return switch (spec.autoShutdown()) {
            case NEVER -> false;
            case ANY_SIGNIFICANT -> true;
            case ALL_SIGNIFICANT -> children.stream()
                    .noneMatch(c -> c.spec.significant() && c.status != ChildStatus.NOT_RUNNING);
        };
    }

    /** OTP's {@code restart/2}: count the restart, then restart per the strategy. */
    private void restart(Child child, ExitReason reason) {
        if (window.exceeded(child)) {
            giveUp(child, reason);
            return;
        }
        long delay = window.backoffNanos(child);
        if (delay > 0) {
            plan.delay(delay);
        }
        Strategy strategy = spec.strategy();
        if (strategy == Strategy.ONE_FOR_ONE || dynamic != null) {
            plan.startGroup(List.of(child), true, this::restartFailed);
            return;
        }
        int from = strategy == Strategy.ONE_FOR_ALL ? 0 : children.indexOf(child);
        List<Child> set = List.copyOf(children.subList(from, children.size()));
        plan.pause(set.reversed().stream().filter(other -> other != child).toList());
        for (Child other : set.reversed()) {
            if (other != child) {
                // A temporary sibling is stopped for good and forgotten; the others wait for their restart.
                plan.terminate(other, other.spec.restart() != RestartType.TEMPORARY);
            }
        }
        plan.then(() -> {
            // OTP's terminate_children forgets temporary children, keeps the others' specs;
            // start_children then starts every one left, running before or not.
            List<Child> restarting = new ArrayList<>();
            for (Child c : set) {
                if (c != child && c.spec.restart() == RestartType.TEMPORARY) {
                    remove(c);
                } else if (byId.get(c.spec.id()) == c) {
                    restarting.add(c);
                }
            }
            plan.startGroupNext(restarting, true, this::restartFailed);
        });
    }

    /**
     * OTP's {@code try_again}: a restart failed to start {@code child}; it is marked
     * restarting and tried again once what is already queued has been handled.
     */
    private void restartFailed(Child child) {
        child.status = ChildStatus.RESTARTING;
        ctx.self().tell(new SupervisorCommand.TryAgain(child.spec.id(), child.generation));
    }

    private void tryAgain(SupervisorCommand.TryAgain again) {
        Child child = byId.get(again.id());
        if (child != null && child.generation == again.generation() && child.status == ChildStatus.RESTARTING) {
            restart(child, ExitReason.SHUTDOWN);
        }
    }

    /** A start returned ignore: the child is kept, not running (a temporary or dynamic one is not). */
    private void ignored(Child child) {
        child.status = ChildStatus.NOT_RUNNING;
        if (child.spec.restart() == RestartType.TEMPORARY || dynamic != null) {
            if (child.cellKept()) {
                plan.terminate(child, false);
            }
            plan.then(() -> remove(child));
        }
    }

    private void childStatusChanged(Child child, Plan.Change change) {
        switch (change) {
            case STARTED -> publish(new SupervisionEvent.ChildStarted(path, child.spec.id(), child.ref));
            case RESTARTED_IN_PLACE, RESTARTED -> publish(new SupervisionEvent.ChildRestarted(path, child.spec.id(),
                    child.ref, child.restarts, change == Plan.Change.RESTARTED_IN_PLACE));
            case IGNORED -> ignored(child);
            case REMOVED -> remove(child);
            case REF -> setRef(child);
        }
    }

    // ---------------------------------------------------------------- giving up, stopping

    /** OTP: past the intensity, the supervisor stops every child in reverse order and exits shutdown. */
    private void giveUp(Child trigger, ExitReason lastReason) {
        publish(new SupervisionEvent.GaveUp(path, window.counted(), spec.period(), lastReason));
        LOG.error("supervisor {} reached its restart intensity ({} restarts in {}); stopping its children and"
                + " exiting with reason shutdown (last: {})", path, window.counted(), spec.period(), lastReason);
        shutDown(ExitReason.SHUTDOWN, true);
    }

    @Override
    public boolean interceptStop(ExitReason reason) {
        // As in OTP, a stop waits for what the supervisor is doing: its parent's exit signal
        // sits in the mailbox until the current restart is done.
        plan.input(() -> {
            if (!stopping) {
                shutDown(reason, false);
            }
        });
        return true;
    }

    /**
     * OTP's {@code terminate}: every child stopped in reverse start order, then the end; a
     * dynamic supervisor stops all its children at once and waits for them together.
     */
    private void shutDown(ExitReason reason, boolean escalate) {
        stopping = true;
        if (dynamic != null) {
            plan.terminateAll(children);
        } else {
            for (Child child : children.reversed()) {
                plan.terminate(child, false);
            }
        }
        plan.then(() -> {
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

    @Override
    public void onStop(ExitReason reason) {
        plan.cancelTimers();
        if (started != null && !started.isDone()) {
            started.completeExceptionally(startFailure != null ? startFailure
                    : new IllegalStateException("supervisor " + path + " ended while starting: " + reason));
        }
    }

    // ---------------------------------------------------------------- requests

    @Override
    public void onMessage(SupervisorCommand command) {
        plan.input(() -> handle(command));
    }

    private void handle(SupervisorCommand command) {
        if (command instanceof SupervisorCommand.TryAgain again) {
            if (!stopping) {
                tryAgain(again);
            }
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
                Child child = byId.get(get.id());
                get.replyTo().tell(Optional.ofNullable(child == null || child.status != ChildStatus.RUNNING ? null
                        : child.ref));
            }
            case SupervisorCommand.RestartChild restart -> restartOnRequest(restart.id(), restart.replyTo());
            case SupervisorCommand.TerminateChild terminate -> terminateOnRequest(byId.get(terminate.id()),
                    terminate.id(), terminate.replyTo());
            case SupervisorCommand.TerminateRef terminate -> terminateOnRequest(byRef.get(terminate.child()),
                    String.valueOf(terminate.child()), terminate.replyTo());
            case SupervisorCommand.DeleteChild delete -> deleteOnRequest(delete.id(), delete.replyTo());
            case SupervisorCommand.StartChild start -> startOnRequest(start.spec(), start.replyTo());
            case SupervisorCommand.StartDynamic start -> startDynamic(start.args(), start.replyTo());
            case SupervisorCommand.TryAgain again -> throw new AssertionError("handled above");
        }
    }

    private List<ChildInfo> childInfos() {
        List<ChildInfo> infos = new ArrayList<>();
        for (Child child : children) {
            infos.add(new ChildInfo(child.spec.id(), child.status == ChildStatus.RUNNING ? child.ref : null,
                    child.spec.kind(), child.spec.restart(), child.restarts, child.status));
        }
        return infos;
    }

    private ChildCounts counts() {
        int active = 0;
        int supervisors = 0;
        for (Child child : children) {
            active += child.status == ChildStatus.RUNNING ? 1 : 0;
            supervisors += child.spec.kind() == ChildKind.SUPERVISOR ? 1 : 0;
        }
        return new ChildCounts(children.size(), active, supervisors, children.size() - supervisors);
    }

    /** OTP's {@code restart_child}: starts a child that is not running; not counted as a restart. */
    private void restartOnRequest(String id, ActorRef<Object> replyTo) {
        Child child = byId.get(id);
        if (child == null) {
            refuse(replyTo, Refusal.NOT_FOUND, id);
        } else if (child.status == ChildStatus.RESTARTING) {
            refuse(replyTo, Refusal.RESTARTING, id);
        } else if (child.status == ChildStatus.RUNNING) {
            refuse(replyTo, Refusal.RUNNING, id);
        } else {
            boolean[] failed = {false};
            plan.startGroup(List.of(child), true, c -> {
                failed[0] = true;
                replyTo.tell(new Failure(startError(c)));
            });
            plan.then(() -> {
                if (!failed[0]) {
                    // started, or ignored: OTP's {ok, undefined}
                    replyTo.tell(child.status == ChildStatus.RUNNING ? child.ref : new SupervisorCommand.NotStarted());
                }
            });
        }
    }

    /** OTP's {@code terminate_child}: stopped per its shutdown; a temporary child is forgotten. */
    private void terminateOnRequest(Child child, String what, ActorRef<Object> replyTo) {
        if (child == null) {
            refuse(replyTo, Refusal.NOT_FOUND, what);
            return;
        }
        plan.terminate(child, false);
        plan.then(() -> {
            child.status = ChildStatus.NOT_RUNNING;
            if (child.spec.restart() == RestartType.TEMPORARY || dynamic != null) {
                remove(child);
            }
            replyTo.tell(Boolean.TRUE);
        });
    }

    /** OTP's {@code delete_child}: forgets the spec of a child that is not running. */
    private void deleteOnRequest(String id, ActorRef<Object> replyTo) {
        Child child = byId.get(id);
        if (child == null) {
            refuse(replyTo, Refusal.NOT_FOUND, id);
        } else if (child.status == ChildStatus.RESTARTING) {
            refuse(replyTo, Refusal.RESTARTING, id);
        } else if (child.status == ChildStatus.RUNNING) {
            refuse(replyTo, Refusal.RUNNING, id);
        } else {
            if (child.cellKept()) {
                plan.terminate(child, false);
            }
            plan.then(() -> {
                remove(child);
                replyTo.tell(Boolean.TRUE);
            });
        }
    }

    /** OTP's {@code start_child}: adds a child after the others and starts it. */
    private void startOnRequest(ChildSpec childSpec, ActorRef<Object> replyTo) {
        String problem = significantProblem(childSpec);
        if (problem != null) {
            replyTo.tell(new Failure(new IllegalArgumentException(problem)));
            return;
        }
        Child existing = byId.get(childSpec.id());
        if (existing != null) {
            refuse(replyTo, existing.status == ChildStatus.RUNNING ? Refusal.ALREADY_STARTED : Refusal.ALREADY_PRESENT,
                    childSpec.id());
            return;
        }
        Child child = new Child(childSpec);
        add(child);
        boolean[] failed = {false};
        plan.startGroup(List.of(child), false, c -> {
            failed[0] = true;
            Throwable cause = plan.lastFailure();
            if (child.cellKept()) {
                plan.terminate(child, false); // a process actor whose init failed: its cell waits, suspended
            }
            plan.then(() -> {
                remove(child);
                replyTo.tell(new Failure(new ChildStartException(childSpec.id(), path, cause)));
            });
        });
        plan.then(() -> {
            if (!failed[0]) {
                // started (published as it happened) or ignored: OTP's {ok, undefined}
                replyTo.tell(child.status == ChildStatus.RUNNING ? child.ref : new SupervisorCommand.NotStarted());
            }
        });
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
        startOnRequest(dynamic.childSpec(dynamic.name() + "-" + ++dynamicCount, args), replyTo);
    }

    /** OTP's {@code validSignificant}: @return what is wrong with a significant child here, or null */
    private String significantProblem(ChildSpec childSpec) {
        if (!childSpec.significant()) {
            return null;
        }
        if (childSpec.restart() == RestartType.PERMANENT) {
            return "child '" + childSpec.id() + "' is significant and permanent: a significant child must be transient"
                    + " or temporary, as in OTP";
        }
        if (spec.autoShutdown() == AutoShutdown.NEVER) {
            return "child '" + childSpec.id() + "' is significant but the supervisor's auto shutdown is NEVER: give"
                    + " it ANY_SIGNIFICANT or ALL_SIGNIFICANT, as in OTP";
        }
        return null;
    }

    private ChildStartException startError(Child child) {
        return new ChildStartException(child.spec.id(), path, plan.lastFailure());
    }

    private void refuse(ActorRef<Object> replyTo, Refusal refusal, String id) {
        replyTo.tell(new Failure(new ChildRequestException(refusal, id, path)));
    }

    // ---------------------------------------------------------------- helpers

    private void add(Child child) {
        children.add(child);
        byId.put(child.spec.id(), child);
    }

    private void remove(Child child) {
        children.remove(child);
        byId.remove(child.spec.id(), child);
        window.forget(child);
        child.generation++;
        if (child.indexedRef != null) {
            byRef.remove(child.indexedRef, child);
            child.indexedRef = null;
        }
    }

    /** Keeps the ref index right after the child's ref changed. */
    private void setRef(Child child) {
        if (child.indexedRef != null) {
            byRef.remove(child.indexedRef, child);
        }
        child.indexedRef = child.ref;
        if (child.ref != null) {
            byRef.put(child.ref, child);
        }
    }

    private void publish(SupervisionEvent event) {
        ctx.system().events().publish(event);
    }
}
