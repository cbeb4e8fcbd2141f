package io.zbmd.dispatch.internal;

import io.zbmd.actor.Cancellable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real-time timers on one daemon thread ({@link ScheduledThreadPoolExecutor}, remove on
 * cancel so that cancelled asks and timers do not pile up).
 */
public final class RealTimerService implements TimerService {
    private final ScheduledThreadPoolExecutor executor;

    /** @param systemName used in the thread's name */
    public RealTimerService(String systemName) {
        AtomicLong count = new AtomicLong();
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, systemName + "-timer-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    @Override
    public Cancellable schedule(long delayNanos, Runnable action) {
        ScheduledFuture<?> future;
        try {
            future = executor.schedule(action, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            // The system is shutting down: nothing scheduled now would run anyway.
            return () -> false;
        }
        return () -> future.cancel(false);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public int pending() {
        return executor.getQueue().size();
    }

    @Override
    public void shutdown() {
        executor.shutdownNow();
    }
}
