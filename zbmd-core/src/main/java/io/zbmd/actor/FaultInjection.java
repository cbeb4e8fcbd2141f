package io.zbmd.actor;

import java.time.Duration;
import java.util.Objects;

/**
 * Faults the actor system injects on purpose, to test that a design survives them: crashes
 * of actors while they handle a message, dropped messages, delayed messages. Every decision
 * derives from {@link #seed()} (under the deterministic dispatcher the whole run replays).
 * Injected faults are counted and tagged: a dropped message is a dead letter with reason
 * {@link DeadLetterReason#INJECTED_DROP}, a crash has an {@link InjectedFault} as cause.
 *
 * <p>Off by default ({@link #NONE}); when off the send and handle paths test one final field.
 *
 * @param seed drives every injection decision
 * @param crashRate probability that handling a message crashes the actor first, 0 to 1
 * @param dropRate probability that a message sent with {@code tell} is dropped, 0 to 1
 * @param delayRate probability that a message is delivered late, 0 to 1
 * @param maxDelay the longest injected delay (uniform from zero)
 */
public record FaultInjection(long seed, double crashRate, double dropRate, double delayRate, Duration maxDelay) {

    /** No faults. */
    public static final FaultInjection NONE = new FaultInjection(0, 0, 0, 0, Duration.ZERO);

    /** Validates the rates and the delay. */
    public FaultInjection {
        checkRate("crashRate", crashRate);
        checkRate("dropRate", dropRate);
        checkRate("delayRate", delayRate);
        Objects.requireNonNull(maxDelay, "FaultInjection.maxDelay must not be null");
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("FaultInjection.maxDelay must not be negative, got " + maxDelay);
        }
        if (delayRate > 0 && maxDelay.isZero()) {
            throw new IllegalArgumentException("FaultInjection.delayRate is " + delayRate
                    + " but maxDelay is zero; give a positive maxDelay");
        }
    }

    /**
     * @param seed the seed
     * @return no faults yet, with this seed; add them with the withers
     */
    public static FaultInjection seeded(long seed) {
        return new FaultInjection(seed, 0, 0, 0, Duration.ZERO);
    }

    /** @param rate crash probability per message @return a copy with it */
    public FaultInjection withCrashRate(double rate) {
        return new FaultInjection(seed, rate, dropRate, delayRate, maxDelay);
    }

    /** @param rate drop probability per message @return a copy with it */
    public FaultInjection withDropRate(double rate) {
        return new FaultInjection(seed, crashRate, rate, delayRate, maxDelay);
    }

    /**
     * @param rate delay probability per message
     * @param max the longest delay
     * @return a copy with them
     */
    public FaultInjection withDelay(double rate, Duration max) {
        return new FaultInjection(seed, crashRate, dropRate, rate, max);
    }

    /** @return whether any fault is injected */
    public boolean enabled() {
        return crashRate > 0 || dropRate > 0 || delayRate > 0;
    }

    private static void checkRate(String field, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("FaultInjection." + field + " must be between 0 and 1, got " + rate);
        }
    }
}
