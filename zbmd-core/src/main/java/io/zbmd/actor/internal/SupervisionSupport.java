package io.zbmd.actor.internal;

import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.dispatch.internal.DeterministicDispatcher;
import java.util.SplittableRandom;

/**
 * What a supervisor implementation ({@code io.zbmd.supervision.internal}) needs from the
 * cells: spawning supervised children, suspending and restarting them in place, timers that
 * run on the supervisor's own turn. Not an API.
 */
public final class SupervisionSupport {
    private SupervisionSupport() {}

    /**
     * Implemented by a supervisor's actor: the cell calls it on the supervisor's own turn
     * when a child reports.
     */
    public interface Supervising {

        /** A child crashed; its incarnation has stopped; it waits for a restart or an end. */
        void childFailed(ActorRef<?> child, ExitReason reason, int incarnation);

        /** A child restarted in place has started its new incarnation. */
        void childRestarted(ActorRef<?> child, int incarnation);

        /** A child restarted in place declined to start; its cell waits, suspended. */
        void childIgnored(ActorRef<?> child, int incarnation);

        /**
         * A restarted child has handled its first message to the end (sent only for children
         * spawned with {@link ChildSetup#reportsProgress()}).
         */
        void childProgressed(ActorRef<?> child, int incarnation);

        /** A child's incarnation stopped as requested; it waits for a restart. */
        void childSuspended(ActorRef<?> child, int incarnation);

        /** A child ended for good (its cell is gone). */
        void childTerminated(ActorRef<?> child, ExitReason reason);

        /**
         * The supervisor was asked to stop: it may take over (to stop its children in order)
         * and end itself later with {@link #endNow}.
         *
         * @return true if it took over
         */
        boolean interceptStop(ExitReason reason);
    }

    /**
     * How to spawn one supervised child.
     *
     * @param childId its id under the supervisor
     * @param mailboxCapacity 0 for the system's default
     * @param retries retries of a crashed message
     * @param snapshotEvery messages between snapshots
     * @param restarts restarts of this child id so far
     * @param supervisorKind whether the child is a supervisor (exempt from fault injection)
     * @param reportsProgress whether the child tells its supervisor when it has handled its
     *     first message after a restart
     * @param pinned whether it runs on a platform thread of its own
     */
    public record ChildSetup(String childId, int mailboxCapacity, int retries, int snapshotEvery, int restarts,
            boolean supervisorKind, boolean reportsProgress, boolean pinned) {}

    /**
     * A spawned child: its ref and, if its first start failed, why.
     *
     * @param ref the child
     * @param startFailure null if it started (or declined to)
     * @param ignored whether it declined to start ({@code IgnoreStart}); its cell then ends
     * @param pending whether its start goes on after the spawn (a process actor's
     *     {@code init}, a supervisor waiting for one): it reports {@code childRestarted} for
     *     incarnation 0 once started, and a start that fails after all ends it (see
     *     {@link #startFailureOf}) or, for a process actor, reports {@code childFailed}, its
     *     cell kept
     */
    public record Started(ActorRef<?> ref, Throwable startFailure, boolean ignored, boolean pending) {}

    private static ActorCell<?> cell(ActorContext<?> context) {
        return CellContext.cellOf(context);
    }

    /**
     * @param progressMessages see {@link ChildSupervision#restarted}: 1 for an actor, 2 for a
     *     process actor
     */
    private static ChildSupervision supervision(ActorContext<?> supervisor, ChildSetup setup, int progressMessages) {
        ChildSupervision supervision = new ChildSupervision(cell(supervisor).path(), setup.childId(), setup.retries(),
                setup.snapshotEvery(), setup.restarts(), setup.reportsProgress());
        if (setup.restarts() > 0) {
            supervision.restarted(progressMessages); // a cell that replaces an ended one
        }
        return supervision;
    }

    private static SpawnOptions options(ChildSetup setup) {
        return new SpawnOptions(setup.childId(), setup.mailboxCapacity(), false, setup.pinned());
    }

    /** Spawns a supervised actor; its start runs now, on this thread. */
    public static Started spawnActor(ActorContext<?> supervisor, ChildSetup setup, ActorFactory<?> factory) {
        ChildSupervision supervision = supervision(supervisor, setup, 1);
        @SuppressWarnings({"unchecked", "rawtypes"})
        ActorCell<?> child = cell(supervisor).spawnChild(options(setup), (ActorFactory) factory, supervision);
        if (setup.supervisorKind()) {
            child.faultExempt = true;
        }
        return new Started(child, supervision.startFailure, supervision.startIgnored, supervision.startPending);
    }

    /** Spawns a supervised process actor. */
    public static Started spawnProcess(ActorContext<?> supervisor, ChildSetup setup, ProcessActor<?> body) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        ActorCell<?> child = cell(supervisor).spawnProcessChild(options(setup), (ProcessActor) body,
                supervision(supervisor, setup, 2));
        return new Started(child, null, false, true);
    }

    /**
     * Asks a running child to stop its incarnation and wait, keeping its cell and mailbox. A
     * process actor that traps exits gets an exit signal instead, as OTP's supervisor sends
     * one, and decides (see {@link #shutdown}).
     */
    /**
     * <p>An idle child stops now, on the supervisor's thread ({@link ActorCell#controlNow}).
     *
     * @return whether the child has answered already: its report waits on the supervisor's
     *     own system stack, read later in this turn
     */
    public static boolean suspend(ActorContext<?> supervisor, ActorRef<?> child, ExitReason reason) {
        ActorCell<?> cell = (ActorCell<?>) child;
        if (cell instanceof ProcessCell<?> process && process.trapsExits()) {
            cell.sendSystem(new SystemMessage.ExitSignal(cell(supervisor), reason, false));
            return false;
        }
        boolean[] answered = new boolean[1]; // written on the thread that runs the request, read only if that is this one
        return cell.controlNow(c -> answered[0] = c.suspendOnRequest(reason)) && answered[0];
    }

    /**
     * Asks a running child to stop for good, as OTP's supervisor does with
     * {@code exit(Pid, shutdown)}: an actor stops (as a {@code gen_server} does, which handles
     * its parent's exit itself); a process actor that traps exits receives a
     * {@link io.zbmd.actor.Signal.Exit} from its supervisor and decides, and if it does not end,
     * its shutdown timeout expires.
     */
    public static void shutdown(ActorContext<?> supervisor, ActorRef<?> child, ExitReason reason) {
        ActorCell<?> cell = (ActorCell<?>) child;
        if (cell instanceof ProcessCell<?> process && process.trapsExits()) {
            cell.sendSystem(new SystemMessage.ExitSignal(cell(supervisor), reason, false));
        } else {
            cell.sendSystem(new SystemMessage.Stop(reason));
        }
    }

    /**
     * Tells a running child that it is to be stopped for a restart after others: it takes no
     * more messages meanwhile ({@link ActorCell#pauseOnRequest}); a process actor, which
     * takes its messages itself, goes on until its stop. Now, on the supervisor's thread, if
     * the child is idle.
     */
    public static void pause(ActorRef<?> child) {
        ActorCell<?> cell = (ActorCell<?>) child;
        if (!(cell instanceof ProcessCell)) {
            cell.controlNow(ActorCell::pauseOnRequest);
        }
    }

    /**
     * Restarts a suspended child in place: now, on the supervisor's thread, if the child is
     * idle ({@link ActorCell#controlNow}); its report follows on the supervisor's system
     * stack either way.
     */
    public static void restart(ActorRef<?> child) {
        ((ActorCell<?>) child).controlNow(ActorCell::restartInPlace);
    }

    /** Ends a child for good. */
    public static void stop(ActorRef<?> child, ExitReason reason) {
        ((ActorCell<?>) child).sendSystem(new SystemMessage.Stop(reason));
    }

    /** Kills a child (untrappable). */
    public static void kill(ActorContext<?> supervisor, ActorRef<?> child) {
        ((ActorCell<?>) child).sendSystem(new SystemMessage.ExitSignal(cell(supervisor), ExitReason.KILL, false));
    }

    /** Runs {@code action} on this actor's own turn after a delay. */
    public static Cancellable onTurnAfter(ActorContext<?> context, long delayNanos, Runnable action) {
        ActorCell<?> cell = cell(context);
        return cell.runtime.timers.schedule(delayNanos,
                () -> cell.sendSystem(new SystemMessage.Control(c -> action.run())));
    }

    /**
     * A supervisor that is itself a supervised child says, during its start, that the start
     * failed: its parent reads it right after spawning it, as when a start throws, but the
     * actor keeps running until it has stopped, in order, the children it had started, then
     * ends. Outside its first start this does nothing.
     */
    public static void failStart(ActorContext<?> context, Throwable failure) {
        ChildSupervision supervision = cell(context).supervision();
        if (supervision != null && (supervision.starting || supervision.startPending)) {
            supervision.startFailure = failure; // read by the parent after the spawn, or once this cell has ended
            supervision.startPending = false;
        }
    }

    /**
     * A supervisor that is itself a supervised child says, at the end of its first start,
     * that its start goes on: its parent waits for {@link #startDone} or its end.
     */
    public static void startPending(ActorContext<?> context) {
        ChildSupervision supervision = cell(context).supervision();
        if (supervision != null && supervision.starting) {
            supervision.startPending = true;
        }
    }

    /** A start that went on after the spawn ({@link #startPending}) is done: the parent hears of it. */
    public static void startDone(ActorContext<?> context) {
        ActorCell<?> cell = cell(context);
        ChildSupervision supervision = cell.supervision();
        if (supervision != null && supervision.startPending) {
            supervision.startPending = false;
            cell.parent.sendSystem(new SystemMessage.IncarnationStarted(cell, supervision.incarnation));
        }
    }

    /** @return why an ended child's pending start failed ({@link #failStart}), or null */
    public static Throwable startFailureOf(ActorRef<?> child) {
        ChildSupervision supervision = ((ActorCell<?>) child).supervision();
        return supervision == null ? null : supervision.startFailure;
    }

    /** Keeps fault injection away from this actor (supervisors are infrastructure). */
    public static void exemptFromFaults(ActorContext<?> context) {
        cell(context).faultExempt = true;
    }

    /** Ends this actor now, on its own turn, with its children stopped first. */
    public static void endNow(ActorContext<?> context, ExitReason reason) {
        cell(context).beginTermination(reason);
    }

    /** @return the path of this actor's parent */
    public static String parentPath(ActorContext<?> context) {
        ActorCell<?> parent = cell(context).parent;
        return parent == null ? "" : parent.path();
    }

    /** @return whether this actor's parent supervises it */
    public static boolean isSupervised(ActorContext<?> context) {
        return cell(context).supervision() != null;
    }

    /** @return a generator for jitter: derived from the seed under the deterministic dispatcher */
    public static SplittableRandom random(ActorContext<?> context) {
        if (cell(context).runtime.dispatcher instanceof DeterministicDispatcher deterministic) {
            return deterministic.split();
        }
        return new SplittableRandom();
    }

    /** @return now, on the system's clock (virtual under the deterministic dispatcher) */
    public static long nanoTime(ActorContext<?> context) {
        return cell(context).runtime.timers.nanoTime();
    }

    /** @return whether this child's cell has ended */
    public static boolean hasEnded(ActorRef<?> child) {
        return ((ActorCell<?>) child).isTerminated();
    }
}
