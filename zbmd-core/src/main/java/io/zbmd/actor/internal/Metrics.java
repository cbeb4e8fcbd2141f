package io.zbmd.actor.internal;

import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.RuntimeMetrics;
import java.util.EnumMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The runtime's counters: striped adders, so that workers do not contend on them. */
final class Metrics {
    private final LongAdder spawned = new LongAdder();
    private final LongAdder terminated = new LongAdder();
    private final LongAdder processed = new LongAdder();
    private final LongAdder injectedCrashes = new LongAdder();
    private final LongAdder injectedDelays = new LongAdder();
    private final LongAdder[] deadLetters = new LongAdder[DeadLetterReason.values().length];
    private final AtomicInteger mailboxHighWater = new AtomicInteger();

    Metrics() {
        for (int i = 0; i < deadLetters.length; i++) {
            deadLetters[i] = new LongAdder();
        }
    }

    void spawned() {
        spawned.increment();
    }

    void terminated() {
        terminated.increment();
    }

    void processed(int count) {
        if (count > 0) {
            processed.add(count);
        }
    }

    void deadLetter(DeadLetterReason reason) {
        deadLetters[reason.ordinal()].increment();
    }

    void injectedCrash() {
        injectedCrashes.increment();
    }

    void injectedDelay() {
        injectedDelays.increment();
    }

    void mailboxSize(int size) {
        int seen = mailboxHighWater.get();
        while (size > seen && !mailboxHighWater.compareAndSet(seen, size)) {
            seen = mailboxHighWater.get();
        }
    }

    RuntimeMetrics snapshot(int pendingTimers) {
        EnumMap<DeadLetterReason, Long> dead = new EnumMap<>(DeadLetterReason.class);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            dead.put(reason, deadLetters[reason.ordinal()].sum());
        }
        long terminatedNow = terminated.sum();
        long spawnedNow = spawned.sum();
        return new RuntimeMetrics(spawnedNow - terminatedNow, spawnedNow, terminatedNow, processed.sum(), dead,
                mailboxHighWater.get(), injectedCrashes.sum(), injectedDelays.sum(), pendingTimers);
    }
}
