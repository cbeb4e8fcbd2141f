package io.zbmd.supervision.internal;

import io.zbmd.actor.ActorContext;
import io.zbmd.actor.internal.SupervisionSupport;
import io.zbmd.supervision.RestartCounting;
import io.zbmd.supervision.SupervisorSpec;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * A supervisor's restart intensity, as OTP's {@code add_restart}: a restart is counted when
 * it is decided; more than {@code intensity} within {@code period} (on the system's clock)
 * and the supervisor gives up. With {@link RestartCounting#UNRECOVERED}, a child that has
 * handled a message since takes its restarts out of the count. Also the optional backoff.
 */
final class RestartWindow {
    private record Restart(long atNanos, Child cause) {}

    private final SupervisorSpec spec;
    private final ActorContext<?> ctx;
    private final ArrayDeque<Restart> counted = new ArrayDeque<>();
    private SplittableRandom random;

    RestartWindow(SupervisorSpec spec, ActorContext<?> ctx) {
        this.spec = spec;
        this.ctx = ctx;
    }

    /** Counts a restart for {@code cause}; @return whether that is more than the intensity allows */
    boolean exceeded(Child cause) {
        long now = ctx.nanoTime();
        counted.addLast(new Restart(now, cause));
        long horizon = now - spec.period().toNanos();
        while (!counted.isEmpty() && counted.peekFirst().atNanos() < horizon) {
            counted.removeFirst();
        }
        return counted.size() > spec.intensity();
    }

    /** @return the restarts within the period */
    int counted() {
        return counted.size();
    }

    /** The child handled a message after its restart. */
    void forgive(Child child) {
        if (spec.counting() == RestartCounting.UNRECOVERED) {
            counted.removeIf(restart -> restart.cause() == child);
        }
    }

    /** The child is gone from the supervisor. */
    void forget(Child child) {
        if (spec.counting() == RestartCounting.UNRECOVERED) {
            counted.removeIf(restart -> restart.cause() == child);
        }
    }

    /** @return how long to wait before restarting the child (zbmd's backoff; 0 without one) */
    long backoffNanos(Child child) {
        if (!spec.backoff().enabled()) {
            return 0;
        }
        long now = ctx.nanoTime();
        if (now - child.lastRestartNanos > spec.backoff().max().toNanos() * 2) {
            child.consecutiveRestarts = 0; // it ran long enough: start the backoff over
        }
        child.consecutiveRestarts++;
        child.lastRestartNanos = now;
        if (random == null) {
            random = SupervisionSupport.random(ctx);
        }
        return spec.backoff().delayNanos(child.consecutiveRestarts, random.nextDouble());
    }
}
