package io.zbmd.dispatch.internal;

/**
 * Runs actor turns on some threads. Implementations: {@link WorkStealingDispatcher},
 * {@link ForkJoinDispatcher}, {@link DeterministicDispatcher}, and {@link PinnedDispatcher} for
 * one actor. Thread-safe.
 */
public sealed interface Dispatcher
        permits WorkStealingDispatcher, ForkJoinDispatcher, DeterministicDispatcher, PinnedDispatcher {

    /**
     * Queues a task for one turn. The caller guarantees the task is not already queued.
     *
     * @param task the task
     */
    void execute(Task task);

    /**
     * Queues a task that used up its turn and still has work: it must go behind the work
     * already waiting (on any thread's queue), so that a flooding actor cannot starve others.
     * Called only by the task itself, at the end of its turn.
     *
     * @param task the task whose turn just ended
     */
    void executeYielded(Task task);

    /**
     * Says that a queued task has a backlog that its sender keeps adding to: if the calling
     * thread is holding it back (the work-stealing dispatcher's LIFO slot, which other
     * workers cannot steal from), let another thread run it. Called by a sender, from inside
     * its own turn; a hint that the other dispatchers ignore.
     *
     * @param task a task that is queued (its {@code scheduled} flag is set)
     */
    default void backlogged(Task task) {}

    /** @return whether turns may run on other threads while the caller's turn goes on */
    boolean runsInParallel();

    /** @return whether the calling thread runs turns for this dispatcher */
    boolean isDispatcherThread();

    /** @return the timers, real or virtual, that go with this dispatcher */
    TimerService timers();

    /**
     * Stops the worker threads and waits for them; queued tasks are not run.
     *
     * @param timeoutNanos how long to wait for each worker
     */
    void shutdown(long timeoutNanos);
}
