package io.zbmd.ml.train;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.zbmd.ml.train.TrainingActors.MetricsEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A run's metrics: Micrometer meters in the registry the config names (scraped by
 * Prometheus when the command line is given {@code --metrics-port}), and the counts and
 * samples its {@link TrainingResult} reports. Recorded by the run's metrics actor; read by
 * the trainer after the last event has been handled.
 *
 * <p>Meters: {@code zbmd.training.steps} (counter), {@code zbmd.training.loss} and
 * {@code zbmd.training.samples.per.second} (gauges), {@code zbmd.training.step.time}
 * (timer with a histogram), {@code zbmd.training.recoveries} (counter, tag {@code cause}),
 * {@code zbmd.training.recovery.time}, {@code zbmd.training.checkpoint.duration} and
 * {@code zbmd.training.checkpoint.stall} (timers).
 */
final class TrainingMetrics {
    private final MeterRegistry registry;
    private final Counter steps;
    private final Timer stepTime;
    private final Timer recoveryTime;
    private final Timer checkpointDuration;
    private final Timer checkpointStall;
    private final AtomicLong lossBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final AtomicLong samplesPerSecondBits = new AtomicLong();
    private final Map<String, LongAdder> recoveries = new ConcurrentHashMap<>();
    private final AtomicInteger checkpoints = new AtomicInteger();
    private volatile Path lastCheckpoint;
    private final Samples stepNanos = new Samples();
    private final Samples recoveryNanos = new Samples();
    private final Samples stallNanos = new Samples();

    TrainingMetrics(MeterRegistry registry) {
        this.registry = registry;
        steps = Counter.builder("zbmd.training.steps").description("training steps completed").register(registry);
        stepTime = Timer.builder("zbmd.training.step.time").description("wall time of one training step")
                .publishPercentileHistogram().register(registry);
        recoveryTime = Timer.builder("zbmd.training.recovery.time")
                .description("from an actor's crash to the completion of the stage it was handling").register(registry);
        checkpointDuration = Timer.builder("zbmd.training.checkpoint.duration")
                .description("from the start of a checkpoint's copy to its directory's fsync").register(registry);
        checkpointStall = Timer.builder("zbmd.training.checkpoint.stall")
                .description("time the training thread spent on one checkpoint").register(registry);
        Gauge.builder("zbmd.training.loss", lossBits, bits -> Double.longBitsToDouble(bits.get()))
                .description("the last step's loss").register(registry);
        Gauge.builder("zbmd.training.samples.per.second", samplesPerSecondBits,
                bits -> Double.longBitsToDouble(bits.get())).description("training throughput so far")
                .register(registry);
    }

    void record(MetricsEvent event) {
        switch (event) {
            case MetricsEvent.Stepped s -> {
                steps.increment();
                stepTime.record(s.stepNanos(), TimeUnit.NANOSECONDS);
                stepNanos.add(s.stepNanos());
                lossBits.set(Double.doubleToLongBits(s.progress().loss()));
                samplesPerSecondBits.set(Double.doubleToLongBits(s.progress().samplesPerSecond()));
            }
            case MetricsEvent.Recovered r -> {
                recoveries.computeIfAbsent(r.cause(), c -> new LongAdder()).increment();
                registry.counter("zbmd.training.recoveries", "cause", r.cause()).increment();
            }
            case MetricsEvent.RecoveryTimed t -> {
                recoveryTime.record(t.nanos(), TimeUnit.NANOSECONDS);
                recoveryNanos.add(t.nanos());
            }
            case MetricsEvent.Checkpointed c -> {
                checkpoints.incrementAndGet();
                lastCheckpoint = c.file();
                checkpointDuration.record(c.took());
            }
            case MetricsEvent.CheckpointStalled s -> {
                checkpointStall.record(s.nanos(), TimeUnit.NANOSECONDS);
                stallNanos.add(s.nanos());
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

    TrainingResult.Timings timings(Duration firstStep) {
        return new TrainingResult.Timings(stepNanos.median(), recoveryNanos.count(), recoveryNanos.median(),
                recoveryNanos.max(), stallNanos.count(), stallNanos.median(), stallNanos.max(), firstStep);
    }

    /** Durations in nanoseconds, kept for medians (a long per step: 56 KB for 7,000 steps). */
    private static final class Samples {
        private long[] values = new long[64];
        private int count;

        synchronized void add(long nanos) {
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = nanos;
        }

        synchronized int count() {
            return count;
        }

        synchronized Duration median() {
            if (count == 0) {
                return Duration.ZERO;
            }
            long[] sorted = Arrays.copyOf(values, count);
            Arrays.sort(sorted);
            return Duration.ofNanos(sorted[count / 2]);
        }

        synchronized Duration max() {
            long most = 0;
            for (int i = 0; i < count; i++) {
                most = Math.max(most, values[i]);
            }
            return Duration.ofNanos(most);
        }
    }
}
