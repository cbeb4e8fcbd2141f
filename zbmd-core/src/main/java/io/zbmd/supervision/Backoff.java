package io.zbmd.supervision;

import java.time.Duration;
import java.util.Objects;

/**
 * A delay before restarting a child that keeps crashing: {@code min * 2^(n-1)} for the n-th
 * restart in a row, capped at {@code max}, spread by a random factor up to {@code jitter}.
 * The count resets once the child has run for {@code max} without crashing. Off by default
 * ({@link #NONE}): OTP restarts at once.
 *
 * @param min the first delay, zero or positive
 * @param max the cap, at least {@code min}
 * @param jitter the random spread, 0 to 1 (0.2: up to 20 % more)
 */
public record Backoff(Duration min, Duration max, double jitter) {

    /** Restart at once. */
    public static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO, 0);

    /** Validates the fields. */
    public Backoff {
        Objects.requireNonNull(min, "Backoff.min must not be null");
        Objects.requireNonNull(max, "Backoff.max must not be null");
        if (min.isNegative()) {
            throw new IllegalArgumentException("Backoff.min must not be negative, got " + min);
        }
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("Backoff.max (" + max + ") must be at least Backoff.min (" + min + ")");
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("Backoff.jitter must be between 0 and 1, got " + jitter);
        }
    }

    /**
     * @param min the first delay
     * @param max the cap
     * @param jitter the random spread, 0 to 1
     * @return an exponential backoff
     */
    public static Backoff exponential(Duration min, Duration max, double jitter) {
        return new Backoff(min, max, jitter);
    }

    /** @return whether restarts are delayed at all */
    public boolean enabled() {
        return max.isPositive();
    }

    /**
     * The delay before the n-th restart in a row.
     *
     * @param consecutive 1 for the first restart in a row
     * @param random a draw in [0, 1)
     * @return the delay in nanoseconds
     */
    public long delayNanos(int consecutive, double random) {
        if (!enabled()) {
            return 0;
        }
        double base = min.toNanos() * Math.pow(2, Math.max(0, consecutive - 1));
        double capped = Math.min(base, max.toNanos());
        return (long) (capped * (1 + jitter * random));
    }
}
