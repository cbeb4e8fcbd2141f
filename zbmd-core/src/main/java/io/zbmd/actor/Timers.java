package io.zbmd.actor;

import java.time.Duration;

/**
 * An actor's own timers, keyed like Pekko's {@code TimerScheduler}: a timer sends a message
 * to the actor itself, starting a timer with a key in use replaces the old one, and all of
 * them are cancelled when the actor ends. A cancelled or replaced timer's message is never
 * handled, even if it was already queued.
 *
 * <p>Use only from the owning actor (its handlers or its process thread); not thread-safe.
 *
 * @param <M> the owning actor's message type
 */
public interface Timers<M> {

    /**
     * Sends {@code message} to this actor once, after {@code delay}.
     *
     * @param key identifies the timer; not null
     * @param message the message; not null
     * @param delay zero or positive
     * @throws IllegalArgumentException if the delay is negative
     */
    void startSingle(Object key, M message, Duration delay);

    /**
     * Sends {@code message} to this actor every {@code interval}, the first time after one
     * interval.
     *
     * @param key identifies the timer; not null
     * @param message the message; not null
     * @param interval positive
     * @throws IllegalArgumentException if the interval is zero or negative
     */
    void startPeriodic(Object key, M message, Duration interval);

    /**
     * @param key a timer key
     * @return whether a timer with this key is active
     */
    boolean isActive(Object key);

    /**
     * Cancels the timer with this key, if any; its message will not be handled.
     *
     * @param key a timer key
     */
    void cancel(Object key);

    /** Cancels every timer of this actor. */
    void cancelAll();
}
