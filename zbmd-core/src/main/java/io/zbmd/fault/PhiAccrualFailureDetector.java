package io.zbmd.fault;

import java.time.Duration;
import java.util.Objects;

/**
 * The φ accrual failure detector (Hayashibara, Défago, Yared and Katayama, 2004), as Akka and
 * Cassandra use it: instead of a yes/no timeout it gives a suspicion level φ that grows the
 * longer a heartbeat is overdue, relative to how regular the heartbeats have been.
 *
 * <p>It keeps the last {@code maxSampleSize} intervals between heartbeats and their mean μ
 * and standard deviation σ (at least {@code minStdDeviation}). With {@code t} the time since
 * the last heartbeat and μ' = μ + {@code acceptableHeartbeatPause},
 *
 * <pre>
 *   φ(t) = -log10(1 - F(t)),   F the normal distribution's CDF with mean μ', deviation σ
 * </pre>
 *
 * so φ = 1 means about a 10 % chance that a heartbeat is still coming, φ = 8 about 10⁻⁸.
 * F is computed with the logistic approximation {@code F(t) ≈ 1 / (1 + e^(-y (1.5976 +
 * 0.070566 y²)))}, y = (t - μ') / σ (Bowling et al., 2009, as Akka does), within about
 * 10⁻⁴ of F: far in the tail that is a larger relative error (at 4σ, φ is 4.74 where the
 * exact value is 4.50), which only shifts where a given threshold falls.
 * Until {@code minSamples} intervals are known, μ = {@code firstHeartbeatEstimate} and
 * σ = μ / 4.
 *
 * <p>Time is passed in (nanoseconds), so that tests and simulations drive it. Thread-safe.
 */
public final class PhiAccrualFailureDetector {

    /**
     * The detector's parameters, validated.
     *
     * @param threshold φ at and above which the monitored party is suspected, positive (8 is
     *     Akka's default)
     * @param maxSampleSize intervals kept, at least 1
     * @param minSamples intervals needed before they replace the first estimate, at least 1
     * @param minStdDeviation a floor for σ, positive (heartbeats that are too regular would
     *     otherwise make φ jump at the first delay)
     * @param acceptableHeartbeatPause added to the mean: pauses (GC, network) tolerated
     * @param firstHeartbeatEstimate the expected interval before enough samples, positive
     */
    public record Config(double threshold, int maxSampleSize, int minSamples, Duration minStdDeviation,
            Duration acceptableHeartbeatPause, Duration firstHeartbeatEstimate) {
        public Config {
            if (!(threshold > 0)) {
                throw new IllegalArgumentException("PhiAccrualFailureDetector.threshold must be positive, got " + threshold);
            }
            if (maxSampleSize < 1) {
                throw new IllegalArgumentException("PhiAccrualFailureDetector.maxSampleSize must be at least 1, got "
                        + maxSampleSize);
            }
            if (minSamples < 1 || minSamples > maxSampleSize) {
                throw new IllegalArgumentException("PhiAccrualFailureDetector.minSamples must be between 1 and"
                        + " maxSampleSize (" + maxSampleSize + "), got " + minSamples);
            }
            positive("minStdDeviation", minStdDeviation);
            Objects.requireNonNull(acceptableHeartbeatPause, "PhiAccrualFailureDetector.acceptableHeartbeatPause");
            if (acceptableHeartbeatPause.isNegative()) {
                throw new IllegalArgumentException("PhiAccrualFailureDetector.acceptableHeartbeatPause must not be"
                        + " negative, got " + acceptableHeartbeatPause);
            }
            positive("firstHeartbeatEstimate", firstHeartbeatEstimate);
        }

        /** @return Akka's defaults: threshold 8, 1000 samples, σ ≥ 100 ms, 3 s pause, 1 s estimate */
        public static Config defaults() {
            return new Config(8.0, 1000, 1, Duration.ofMillis(100), Duration.ofSeconds(3), Duration.ofSeconds(1));
        }

        private static void positive(String field, Duration value) {
            Objects.requireNonNull(value, "PhiAccrualFailureDetector." + field + " must not be null");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("PhiAccrualFailureDetector." + field + " must be positive, got "
                        + value);
            }
        }
    }

    private final Config config;
    private final double[] intervals;
    private int count;
    private int next;
    private double sum;
    private double sumOfSquares;
    private long lastHeartbeat;
    private boolean started;

    /** @param config the parameters */
    public PhiAccrualFailureDetector(Config config) {
        this.config = Objects.requireNonNull(config, "config must not be null");
        this.intervals = new double[config.maxSampleSize()];
    }

    /**
     * Records a heartbeat.
     *
     * @param nowNanos the time it arrived
     */
    public synchronized void heartbeat(long nowNanos) {
        if (started) {
            double interval = nowNanos - lastHeartbeat;
            if (count == intervals.length) {
                double evicted = intervals[next];
                sum -= evicted;
                sumOfSquares -= evicted * evicted;
            } else {
                count++;
            }
            intervals[next] = interval;
            next = (next + 1) % intervals.length;
            sum += interval;
            sumOfSquares += interval * interval;
        }
        started = true;
        lastHeartbeat = nowNanos;
    }

    /**
     * @param nowNanos the time now
     * @return the suspicion level φ; 0 before the first heartbeat
     */
    public synchronized double phi(long nowNanos) {
        if (!started) {
            return 0.0;
        }
        double mean;
        double deviation;
        if (count < config.minSamples()) {
            mean = config.firstHeartbeatEstimate().toNanos();
            deviation = mean / 4;
        } else {
            mean = sum / count;
            deviation = Math.sqrt(Math.max(0, sumOfSquares / count - mean * mean));
        }
        deviation = Math.max(deviation, config.minStdDeviation().toNanos());
        return phi(nowNanos - lastHeartbeat, mean + config.acceptableHeartbeatPause().toNanos(), deviation);
    }

    /**
     * @param nowNanos the time now
     * @return whether φ is below the threshold
     */
    public boolean isAvailable(long nowNanos) {
        return phi(nowNanos) < config.threshold();
    }

    /** φ for a delay, given the mean and deviation of the intervals (see the class comment). */
    static double phi(double sinceLast, double mean, double deviation) {
        double y = (sinceLast - mean) / deviation;
        double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        if (sinceLast > mean) {
            return -Math.log10(e / (1.0 + e));
        }
        return -Math.log10(1.0 - 1.0 / (1.0 + e));
    }
}
