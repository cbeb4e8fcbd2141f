package io.zbmd.actor.internal;

import io.zbmd.actor.Cancellable;
import io.zbmd.actor.DeadLetterReason;

/**
 * One keyed timer of an actor. It is also the envelope queued in the mailbox when it fires,
 * so that the owner can refuse a message whose timer was cancelled or replaced meanwhile.
 */
final class TimerEntry implements Runnable {
    final ActorCell<?> cell;
    final Object key;
    final Object message;
    /** 0 for a single-shot timer. */
    final long intervalNanos;
    private volatile boolean cancelled;
    volatile Cancellable handle;

    TimerEntry(ActorCell<?> cell, Object key, Object message, long intervalNanos) {
        this.cell = cell;
        this.key = key;
        this.message = message;
        this.intervalNanos = intervalNanos;
    }

    /** Fires, on the timer thread: queue this envelope, and re-arm if periodic. */
    @Override
    public void run() {
        if (cancelled) {
            return;
        }
        DeadLetterReason refused = cell.enqueue(this);
        if (refused != null) {
            cell.runtime.deadLetter(cell.path(), message, refused);
        }
        if (intervalNanos > 0 && !cancelled && refused != DeadLetterReason.TERMINATED) {
            // A cancel() racing with this line leaves one extra firing, which run() drops.
            handle = cell.runtime.timers.schedule(intervalNanos, this);
        }
    }

    /** On the owner's thread: whether this firing may be handled (still the active timer). */
    boolean takeDelivery(ActorCell<?> owner) {
        Extra x = owner.extra;
        if (cancelled || x == null || x.timers == null || !x.timers.isCurrent(this)) {
            return false;
        }
        if (intervalNanos == 0) {
            x.timers.forget(this);
        }
        return true;
    }

    void cancel() {
        cancelled = true;
        Cancellable h = handle;
        if (h != null) {
            h.cancel();
        }
    }
}
