package io.zbmd.actor.internal;

import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.Signal;
import io.zbmd.dispatch.internal.TimerService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parts of a cell that most actors never use, allocated on first use so that an idle
 * actor stays small. Touched only by the cell's owner (the thread running its turn).
 *
 * <p>Collections keep insertion order so that notifications go out in the same order on
 * every run: the deterministic dispatcher's replay depends on it.
 */
final class Extra {
    /** Actors linked with this one. */
    final LinkedHashSet<SystemTarget> links = new LinkedHashSet<>();
    /** Who monitors this actor. */
    final LinkedHashMap<MonitorRef, Watcher> watchers = new LinkedHashMap<>();
    /** Whom this actor monitors. */
    final LinkedHashMap<MonitorRef, SystemTarget> monitoring = new LinkedHashMap<>();
    boolean trapExits;
    boolean stopRequested;
    ActorTimers<?> timers;
    /** Set when a supervisor spawned this actor; see {@link ChildSupervision}. */
    ChildSupervision supervision;
    private ArrayList<OneShot> sendAfters;
    private ArrayDeque<PendingSignal> pendingSignals;

    private record PendingSignal(long barrier, Signal signal) {}

    void queueSignal(long barrier, Signal signal) {
        if (pendingSignals == null) {
            pendingSignals = new ArrayDeque<>();
        }
        pendingSignals.add(new PendingSignal(barrier, signal));
    }

    boolean hasPendingSignals() {
        return pendingSignals != null && !pendingSignals.isEmpty();
    }

    /** @return whether the oldest signal's messages-before have all been consumed */
    boolean hasDeliverableSignal(Mailbox mailbox) {
        if (pendingSignals == null) {
            return false;
        }
        PendingSignal first = pendingSignals.peek();
        return first != null && (mailbox == null || mailbox.consumerIndex() >= first.barrier);
    }

    Signal pollSignal() {
        return pendingSignals.poll().signal;
    }

    void removePendingDown(MonitorRef ref) {
        if (pendingSignals != null) {
            pendingSignals.removeIf(p -> p.signal instanceof Signal.Down down && down.monitor() == ref);
        }
    }

    Cancellable sendAfter(TimerService timers, long delayNanos, Runnable send) {
        if (sendAfters == null) {
            sendAfters = new ArrayList<>();
        } else if (sendAfters.size() >= 32) {
            sendAfters.removeIf(OneShot::isDone);
        }
        OneShot shot = new OneShot(send);
        sendAfters.add(shot);
        shot.handle = timers.schedule(delayNanos, shot);
        return shot;
    }

    void cancelTimers() {
        if (timers != null) {
            timers.cancelAll();
        }
        if (sendAfters != null) {
            for (OneShot shot : sendAfters) {
                shot.cancel();
            }
            sendAfters = null;
        }
    }

    /** Exit signals to links, DOWN to watchers, demonitors to the actors this one watched. */
    void notifyOnTermination(ActorCell<?> cell, ExitReason reason) {
        for (SystemTarget linked : links) {
            linked.sendSystem(new SystemMessage.ExitSignal(cell, reason, true));
        }
        links.clear();
        for (Iterator<java.util.Map.Entry<MonitorRef, Watcher>> it = watchers.entrySet().iterator(); it.hasNext(); ) {
            java.util.Map.Entry<MonitorRef, Watcher> entry = it.next();
            it.remove();
            entry.getValue().down(entry.getKey(), cell, reason);
        }
        for (java.util.Map.Entry<MonitorRef, SystemTarget> entry : monitoring.entrySet()) {
            entry.getValue().sendSystem(new SystemMessage.Demonitor(entry.getKey()));
        }
        monitoring.clear();
        pendingSignals = null;
    }

    /** A send-after: runs at most once, cancellable until it runs. */
    private static final class OneShot implements Runnable, Cancellable {
        private final Runnable action;
        private final AtomicBoolean done = new AtomicBoolean();
        volatile Cancellable handle;

        OneShot(Runnable action) {
            this.action = action;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                action.run();
            }
        }

        @Override
        public boolean cancel() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            Cancellable h = handle;
            if (h != null) {
                h.cancel();
            }
            return true;
        }

        boolean isDone() {
            return done.get();
        }
    }
}
