package io.zbmd.dispatch;

/**
 * Which scheduler runs an actor system's actors; chosen in
 * {@link io.zbmd.actor.ActorSystemConfig#dispatcher()}.
 *
 * <ul>
 *   <li>{@link WorkStealing}: zbmd's own scheduler: per-worker run queues with a LIFO slot
 *       for message locality, a global queue, work stealing, parking idle workers. The
 *       default; the JMH suite in zbmd-bench compares it with the other.
 *   <li>{@link ForkJoin}: a {@link java.util.concurrent.ForkJoinPool} in FIFO mode, as
 *       Pekko's default dispatcher.
 *   <li>{@link Deterministic}: one thread (the caller's), with the next actor to run picked
 *       by a seeded random generator and virtual time: the same seed replays the same
 *       interleaving. For tests and simulations; see {@link DeterministicScheduler}.
 * </ul>
 */
public sealed interface DispatcherKind {

    /** @return zbmd's work-stealing scheduler */
    static DispatcherKind workStealing() {
        return new WorkStealing();
    }

    /** @return a ForkJoinPool-based scheduler */
    static DispatcherKind forkJoin() {
        return new ForkJoin();
    }

    /**
     * @param seed drives the interleaving (and fault injection)
     * @return a deterministic single-threaded scheduler
     */
    static DispatcherKind deterministic(long seed) {
        return new Deterministic(seed);
    }

    /** zbmd's work-stealing scheduler. */
    record WorkStealing() implements DispatcherKind {}

    /** A ForkJoinPool in FIFO (async) mode. */
    record ForkJoin() implements DispatcherKind {}

    /**
     * The deterministic scheduler.
     *
     * @param seed drives every random choice
     */
    record Deterministic(long seed) implements DispatcherKind {}
}
