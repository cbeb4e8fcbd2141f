package io.zbmd.dispatch.internal;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs actor turns on a {@link ForkJoinPool} in FIFO (async) mode, the way Pekko's default
 * dispatcher does: a turn scheduled from a pool thread is forked onto that thread's queue,
 * anything else is submitted.
 */
public final class ForkJoinDispatcher implements Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(ForkJoinDispatcher.class);

    private final ForkJoinPool pool;
    private final TimerService timers;

    /**
     * @param name prefix of the worker threads' names
     * @param parallelism number of workers
     * @param timers the timer service the runtime uses with this dispatcher
     */
    public ForkJoinDispatcher(String name, int parallelism, TimerService timers) {
        this.timers = timers;
        AtomicInteger count = new AtomicInteger();
        this.pool = new ForkJoinPool(
                parallelism,
                p -> {
                    ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                    thread.setName(name + "-fj-" + count.getAndIncrement());
                    return thread;
                },
                (thread, error) -> LOG.error("bug: an actor turn threw out of the runtime on {}", thread.getName(), error),
                true);
    }

    @Override
    public void execute(Task task) {
        if (Thread.currentThread() instanceof ForkJoinWorkerThread worker && worker.getPool() == pool) {
            task.fork();
        } else {
            pool.execute(task);
        }
    }

    /**
     * A ForkJoinPool worker runs its local queue until it is empty before it looks at
     * submissions, so a task that re-forks itself would starve everything submitted from
     * outside. A yielding task is therefore submitted as an external task.
     */
    @Override
    public void executeYielded(Task task) {
        pool.externalSubmit(task);
    }

    @Override
    public boolean runsInParallel() {
        return pool.getParallelism() > 1;
    }

    @Override
    public boolean isDispatcherThread() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread worker && worker.getPool() == pool;
    }

    @Override
    public TimerService timers() {
        return timers;
    }

    @Override
    public void shutdown(long timeoutNanos) {
        pool.shutdownNow();
        if (isDispatcherThread()) {
            return;
        }
        try {
            if (!pool.awaitTermination(timeoutNanos, TimeUnit.NANOSECONDS)) {
                LOG.warn("fork-join workers did not stop within the shutdown timeout; an actor is still running");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
