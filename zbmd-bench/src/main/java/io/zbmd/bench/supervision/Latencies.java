package io.zbmd.bench.supervision;

import java.util.Arrays;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Latencies of the cycles of one measurement iteration, for percentiles: a log-scale
 * histogram (buckets 2 % apart from 100 ns to about 20 s), so that recording costs an
 * increment and a percentile is read without sorting. Written by the benchmark's driver
 * actor, read by the JMH thread after the invocation's future completed.
 */
public final class Latencies {
    private static final double GROWTH = 1.02;
    private static final double FIRST_NANOS = 100;
    private final long[] counts = new long[1000];
    private long total;

    void record(long nanos) {
        int bucket = nanos <= FIRST_NANOS ? 0
                : (int) Math.min(counts.length - 1, Math.ceil(Math.log(nanos / FIRST_NANOS) / Math.log(GROWTH)));
        counts[bucket]++;
        total++;
    }

    /**
     * The cycles' percentiles as a benchmark's secondary results: set at the end of each
     * invocation for the iteration so far, so the last value is the iteration's.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Percentiles {
        public double latencyP50Micros;
        public double latencyP99Micros;

        void update(Latencies latencies) {
            latencyP50Micros = latencies.micros(0.50);
            latencyP99Micros = latencies.micros(0.99);
        }
    }

    void clear() {
        Arrays.fill(counts, 0);
        total = 0;
    }

    /** @return the latency at or under which {@code quantile} of the cycles ended, in µs */
    double micros(double quantile) {
        long rank = (long) Math.ceil(quantile * total);
        long seen = 0;
        for (int bucket = 0; bucket < counts.length; bucket++) {
            seen += counts[bucket];
            if (seen >= rank && seen > 0) {
                return FIRST_NANOS * Math.pow(GROWTH, bucket) / 1000;
            }
        }
        return Double.NaN;
    }
}
