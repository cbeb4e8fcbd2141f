package io.zbmd.dispatch.internal;

import io.zbmd.actor.Cancellable;

/**
 * Delayed actions: real time on a single timer thread, or virtual time under the
 * deterministic dispatcher. Thread-safe.
 */
public interface TimerService {

    /**
     * Runs {@code action} once after the delay. The action must be short and must not block
     * (it typically sends a message).
     *
     * @param delayNanos zero or positive
     * @param action what to run
     * @return a handle to cancel it; a cancelled action is forgotten at once
     */
    Cancellable schedule(long delayNanos, Runnable action);

    /** @return the current time in nanoseconds, on the clock that {@link #schedule} uses */
    long nanoTime();

    /** @return actions scheduled and not yet run or cancelled */
    int pending();

    /** Stops the timer thread, if any; pending actions are dropped. */
    void shutdown();
}
