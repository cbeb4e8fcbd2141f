package io.zbmd.dispatch.internal;

import io.zbmd.actor.Cancellable;
import io.zbmd.dispatch.DeterministicScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Runs every actor turn on the thread that calls {@link #step()} and friends, picking the
 * next runnable task with a generator seeded by the caller, on a virtual clock. The same
 * seed and the same calls give the same interleaving, timers included, so a failing
 * scenario replays exactly (the way TigerBeetle's simulator replays a seed).
 *
 * <p>Process actors, which own threads, take part through a baton: while one of them runs,
 * the driving thread waits for it to block again, so exactly one thread acts at a time.
 * Methods are synchronised only to make that hand-over safe; the scheduler is meant to be
 * driven by one thread.
 */
public final class DeterministicDispatcher implements Dispatcher, DeterministicScheduler {
    private final long seed;
    private final SplittableRandom random;
    private final ArrayList<Task> runnable = new ArrayList<>();
    private final PriorityQueue<VirtualTimer> timerQueue = new PriorityQueue<>();
    private final VirtualTimers timers = new VirtualTimers();
    private long now;
    private long timerSequence;
    private Thread driver;

    /** @param seed drives every choice */
    public DeterministicDispatcher(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /**
     * A generator derived from the seed, for other seeded decisions of the same run (fault
     * injection), so that they replay with it.
     *
     * @return a generator split from this dispatcher's
     */
    public synchronized SplittableRandom split() {
        return random.split();
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public synchronized void execute(Task task) {
        runnable.add(task);
    }

    @Override
    public void executeYielded(Task task) {
        execute(task);
    }

    @Override
    public boolean runsInParallel() {
        return false; // one thread: the driver
    }

    @Override
    public boolean isDispatcherThread() {
        return Thread.currentThread() == driver;
    }

    @Override
    public TimerService timers() {
        return timers;
    }

    @Override
    public void shutdown(long timeoutNanos) {
        synchronized (this) {
            runnable.clear();
            timerQueue.clear();
        }
    }

    @Override
    public boolean step() {
        Task task;
        synchronized (this) {
            int size = runnable.size();
            if (size == 0) {
                return false;
            }
            int index = random.nextInt(size);
            task = runnable.get(index);
            runnable.set(index, runnable.get(size - 1));
            runnable.remove(size - 1);
        }
        Thread previous = driver;
        driver = Thread.currentThread();
        try {
            task.runTurn();
        } finally {
            driver = previous;
        }
        return true;
    }

    @Override
    public int runUntilIdle() {
        int turns = 0;
        while (step()) {
            turns++;
        }
        return turns;
    }

    @Override
    public void advanceTime(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("cannot move the virtual clock backwards: " + duration);
        }
        long target = now + duration.toNanos();
        runUntilIdle();
        while (fireNextTimerDueBy(target)) {
            runUntilIdle();
        }
        synchronized (this) {
            now = Math.max(now, target);
        }
        runUntilIdle();
    }

    @Override
    public boolean runUntil(BooleanSupplier done, Duration maxVirtualTime) {
        Objects.requireNonNull(done, "done");
        long limit = now + maxVirtualTime.toNanos();
        while (!done.getAsBoolean()) {
            if (step()) {
                continue;
            }
            if (!fireNextTimerDueBy(limit)) {
                return done.getAsBoolean();
            }
        }
        return true;
    }

    /**
     * Moves the clock to the earliest timer due at or before {@code limit} and runs every
     * timer due at that instant, in the order they were scheduled, before any actor runs:
     * things due at the same time happen "together", as they would on a real clock.
     */
    private boolean fireNextTimerDueBy(long limit) {
        long instant;
        synchronized (this) {
            VirtualTimer first = timerQueue.peek();
            if (first == null || first.due > limit) {
                return false;
            }
            instant = first.due;
            now = Math.max(now, instant);
        }
        for (;;) {
            VirtualTimer timer;
            synchronized (this) {
                timer = timerQueue.peek();
                if (timer == null || timer.due > instant) {
                    return true;
                }
                timerQueue.poll();
            }
            timer.action.run();
        }
    }

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    private final class VirtualTimers implements TimerService {
        @Override
        public Cancellable schedule(long delayNanos, Runnable action) {
            synchronized (DeterministicDispatcher.this) {
                VirtualTimer timer = new VirtualTimer(now + Math.max(0, delayNanos), timerSequence++, action);
                timerQueue.add(timer);
                return () -> {
                    synchronized (DeterministicDispatcher.this) {
                        return timerQueue.remove(timer);
                    }
                };
            }
        }

        @Override
        public long nanoTime() {
            return DeterministicDispatcher.this.nanoTime();
        }

        @Override
        public int pending() {
            synchronized (DeterministicDispatcher.this) {
                return timerQueue.size();
            }
        }

        @Override
        public void shutdown() {
            synchronized (DeterministicDispatcher.this) {
                timerQueue.clear();
            }
        }
    }

    private record VirtualTimer(long due, long sequence, Runnable action) implements Comparable<VirtualTimer> {
        @Override
        public int compareTo(VirtualTimer other) {
            int byDue = Long.compare(due, other.due);
            return byDue != 0 ? byDue : Long.compare(sequence, other.sequence);
        }
    }
}
