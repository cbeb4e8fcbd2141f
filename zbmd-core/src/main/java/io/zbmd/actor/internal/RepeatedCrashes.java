package io.zbmd.actor.internal;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts crashes by actor path, exception type and message, so that the crash log reports an
 * actor failing the same way over and over once in full, then as a count (at 2, 4, 8, ...
 * times), instead of one stack trace per restart. Bounded: past {@link #CAPACITY} distinct
 * crashes it forgets them all and starts again (a crash then reported in full a second time
 * is the price of a fixed memory bound).
 */
final class RepeatedCrashes {
    static final int CAPACITY = 1024;

    private record Key(String path, Class<?> type, String message) {}

    private final ConcurrentHashMap<Key, Long> counts = new ConcurrentHashMap<>();

    /** @return how many times this actor has now crashed this way, 1 the first time */
    long count(String path, Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        if (counts.size() >= CAPACITY) {
            counts.clear();
        }
        return counts.merge(new Key(path, failure.getClass(), String.valueOf(failure.getMessage())), 1L, Long::sum);
    }
}
