package io.zbmd.ml.train;

import io.zbmd.ml.train.TrainingActors.MetricsEvent;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What a run counts for its result: recoveries by cause, checkpoints written. Thread-safe. */
final class TrainingMetrics {
    private final Map<String, LongAdder> recoveries = new ConcurrentHashMap<>();
    private final AtomicInteger checkpoints = new AtomicInteger();
    private volatile Path lastCheckpoint;

    void record(MetricsEvent event) {
        switch (event) {
            case MetricsEvent.Recovered r -> recoveries.computeIfAbsent(r.cause(), c -> new LongAdder()).increment();
            case MetricsEvent.Checkpointed c -> {
                checkpoints.incrementAndGet();
                lastCheckpoint = c.file();
            }
            default -> {}
        }
    }

    Map<String, Long> recoveries() {
        Map<String, Long> counts = new TreeMap<>();
        recoveries.forEach((cause, count) -> counts.put(cause, count.sum()));
        return counts;
    }

    int checkpoints() {
        return checkpoints.get();
    }

    Path lastCheckpoint() {
        return lastCheckpoint;
    }
}
