package io.zbmd.actor.internal;

import io.zbmd.actor.Timers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Objects;

/** An actor's keyed timers; owner thread only. */
final class ActorTimers<M> implements Timers<M> {
    private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);

    private final ActorCell<M> cell;
    private final LinkedHashMap<Object, TimerEntry> active = new LinkedHashMap<>();

    ActorTimers(ActorCell<M> cell) {
        this.cell = cell;
    }

    @Override
    public void startSingle(Object key, M message, Duration delay) {
        start(key, message, nonNegativeNanos("delay", delay), 0);
    }

    @Override
    public void startPeriodic(Object key, M message, Duration interval) {
        long nanos = nonNegativeNanos("interval", interval);
        if (nanos == 0) {
            throw new IllegalArgumentException("a periodic timer's interval must be positive, got " + interval);
        }
        start(key, message, nanos, nanos);
    }

    private void start(Object key, M message, long delayNanos, long intervalNanos) {
        Objects.requireNonNull(key, "timer key must not be null");
        Objects.requireNonNull(message, "timer message must not be null");
        cancel(key);
        TimerEntry entry = new TimerEntry(cell, key, message, intervalNanos);
        active.put(key, entry);
        entry.handle = cell.runtime.timers.schedule(delayNanos, entry);
    }

    @Override
    public boolean isActive(Object key) {
        return active.containsKey(key);
    }

    @Override
    public void cancel(Object key) {
        TimerEntry entry = active.remove(key);
        if (entry != null) {
            entry.cancel();
        }
    }

    @Override
    public void cancelAll() {
        for (TimerEntry entry : active.values()) {
            entry.cancel();
        }
        active.clear();
    }

    boolean isCurrent(TimerEntry entry) {
        return active.get(entry.key) == entry;
    }

    void forget(TimerEntry entry) {
        active.remove(entry.key, entry);
    }

    static long nonNegativeNanos(String field, Duration duration) {
        Objects.requireNonNull(duration, () -> field + " must not be null");
        if (duration.isNegative()) {
            throw new IllegalArgumentException(field + " must not be negative, got " + duration);
        }
        return duration.compareTo(LONGEST) >= 0 ? Long.MAX_VALUE : duration.toNanos();
    }
}
