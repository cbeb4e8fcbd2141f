package io.zbmd.dispatch;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Drives an actor system created with {@link DispatcherKind#deterministic(long)}. Nothing
 * runs until the caller asks: every actor turn runs on the calling thread, the next actor
 * is picked by a generator seeded with {@link #seed()}, and time is virtual (timers fire
 * when {@link #advanceTime} or {@link #runUntil} moves the clock). The same seed and the
 * same calls replay the same interleaving exactly.
 *
 * <p>Use from one thread at a time.
 */
public interface DeterministicScheduler {

    /** @return the seed every choice derives from */
    long seed();

    /**
     * Runs one actor turn, if any actor is runnable.
     *
     * @return false if nothing was runnable
     */
    boolean step();

    /**
     * Runs turns until no actor is runnable. Does not move the clock.
     *
     * @return the number of turns run
     */
    int runUntilIdle();

    /**
     * Moves the virtual clock forward, firing due timers in time order and running until
     * idle after each.
     *
     * @param duration zero or positive
     */
    void advanceTime(Duration duration);

    /**
     * Runs until {@code done} holds, moving the clock to the next timer whenever nothing is
     * runnable.
     *
     * @param done the condition, checked between turns
     * @param maxVirtualTime how far the clock may move before giving up
     * @return true if the condition holds, false if time or work ran out first
     */
    boolean runUntil(BooleanSupplier done, Duration maxVirtualTime);

    /** @return the virtual clock, in nanoseconds since the system started */
    long nanoTime();
}
