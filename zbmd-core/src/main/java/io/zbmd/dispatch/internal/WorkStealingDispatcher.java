package io.zbmd.dispatch.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.SpmcVarHandleArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zbmd's scheduler: N worker threads, each with a bounded local run queue and a LIFO slot,
 * one unbounded global queue, work stealing, and parking when there is nothing to do.
 *
 * <p>The shape follows Tokio's multi-threaded scheduler and Go's runtime: a task scheduled
 * from a worker goes to that worker's LIFO slot (the actor that was just sent a message runs
 * next, while its mailbox is hot in cache), the slot's previous occupant goes to the local
 * queue where idle workers can steal it; a task scheduled from any other thread goes to the
 * global queue. A task that yields at the end of its turn (it used up its reductions and
 * still has work) goes to the back of the local queue, never the LIFO slot, and the worker looks
 * at the global queue before its own next, so that a flooding actor alternates with waiting
 * work instead of starving it; the LIFO slot is also bypassed after {@link #LIFO_LIMIT}
 * consecutive uses, and the global queue is looked at first every
 * {@link #GLOBAL_CHECK_INTERVAL} turns.
 *
 * <p>Local queues are JCTools SPMC array queues: the owner is the only producer, the owner
 * and thieves consume. Parking uses a Dekker-style handshake (see {@link #wakeIfIdle()}
 * and {@link Worker#park()}) so that no wake-up is lost and an idle system uses no CPU.
 */
public final class WorkStealingDispatcher implements Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(WorkStealingDispatcher.class);

    /** Capacity of each worker's local run queue; overflow goes to the global queue. */
    static final int LOCAL_QUEUE_CAPACITY = 256;
    /** Consecutive turns taken from the LIFO slot before it yields to the local queue. */
    static final int LIFO_LIMIT = 32;
    /** Every this many turns a worker looks at the global queue before its own. */
    static final int GLOBAL_CHECK_INTERVAL = 61;
    /** Failed searches before a worker parks. */
    static final int SPINS_BEFORE_PARK = 64;

    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Task> global = new ConcurrentLinkedQueue<>();
    /** Workers that announced they are about to park or are parked. */
    private final AtomicInteger idle = new AtomicInteger();
    private final AtomicInteger wakeCursor = new AtomicInteger();
    /** Notified when the last worker parks; only for {@link #awaitAllParked}. */
    private final Object quiescence = new Object();
    private final TimerService timers;
    private volatile boolean running = true;

    /**
     * Starts the workers.
     *
     * @param name prefix of the worker threads' names
     * @param workerCount number of workers, at least 1
     * @param timers the timer service the runtime uses with this dispatcher
     */
    public WorkStealingDispatcher(String name, int workerCount, TimerService timers) {
        if (workerCount < 1) {
            throw new IllegalArgumentException("workerCount must be at least 1, got " + workerCount);
        }
        this.timers = timers;
        this.workers = new Worker[workerCount];
        for (int i = 0; i < workerCount; i++) {
            workers[i] = new Worker(this, i, name + "-worker-" + i);
        }
        for (Worker worker : workers) {
            worker.start();
        }
    }

    @Override
    public void execute(Task task) {
        if (Thread.currentThread() instanceof Worker worker && worker.dispatcher == this) {
            worker.schedule(task);
        } else {
            global.offer(task);
            wakeIfIdle();
        }
    }

    @Override
    public void executeYielded(Task task) {
        if (Thread.currentThread() instanceof Worker worker && worker.dispatcher == this) {
            worker.yielded(task);
        } else {
            execute(task);
        }
    }

    /**
     * Wakes one parked worker if any is parked. Called after publishing a task where other
     * workers could take it.
     *
     * <p>Dekker handshake with {@link Worker#park()}: here the task is stored, then (full
     * fence) {@code idle} is read; there the worker increments {@code idle} (a full fence
     * too), then looks at every queue once more. Whichever goes second sees the other's
     * write, so either this call wakes the worker or the worker finds the task.
     */
    void wakeIfIdle() {
        VarHandle.fullFence();
        if (idle.get() == 0) {
            return;
        }
        int start = wakeCursor.getAndIncrement();
        for (int i = 0; i < workers.length; i++) {
            Worker worker = workers[Math.floorMod(start + i, workers.length)];
            if (worker.tryClaimParked()) {
                idle.decrementAndGet();
                LockSupport.unpark(worker);
                return;
            }
        }
    }

    @Override
    public boolean isDispatcherThread() {
        return Thread.currentThread() instanceof Worker worker && worker.dispatcher == this;
    }

    @Override
    public TimerService timers() {
        return timers;
    }

    /** @return how many workers are parked now (for tests and metrics) */
    public int parkedWorkers() {
        int parked = 0;
        for (Worker worker : workers) {
            if (worker.parked && worker.getState() == Thread.State.WAITING) {
                parked++;
            }
        }
        return parked;
    }

    /**
     * Waits until every worker is parked (for tests of idleness).
     *
     * @param timeoutNanos the longest wait
     * @return whether all workers parked in time
     * @throws InterruptedException if interrupted
     */
    public boolean awaitAllParked(long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        synchronized (quiescence) {
            while (parkedWorkers() < workers.length) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(quiescence, remaining);
            }
            return true;
        }
    }

    private void signalQuiescenceIfAllIdle() {
        if (idle.get() == workers.length) {
            synchronized (quiescence) {
                quiescence.notifyAll();
            }
        }
    }

    /** @return the worker threads (for tests that check their state) */
    public Thread[] workerThreads() {
        return workers.clone();
    }

    /** @return total times the workers came back from parking (for tests of idleness) */
    public long wakeUps() {
        long total = 0;
        for (Worker worker : workers) {
            total += worker.wakeUps;
        }
        return total;
    }

    @Override
    public void shutdown(long timeoutNanos) {
        running = false;
        for (Worker worker : workers) {
            LockSupport.unpark(worker);
        }
        for (Worker worker : workers) {
            if (worker == Thread.currentThread()) {
                continue;
            }
            try {
                worker.join(TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (worker.isAlive()) {
                LOG.warn("worker {} did not stop within the shutdown timeout; an actor is still running on it",
                        worker.getName());
            }
        }
    }

    private Task pollGlobal() {
        return global.poll();
    }

    private Task steal(Worker thief) {
        int n = workers.length;
        if (n == 1) {
            return null;
        }
        int start = thief.nextRandom(n);
        for (int i = 0; i < n; i++) {
            Worker victim = workers[(start + i) % n];
            if (victim != thief) {
                Task task = victim.local.poll();
                if (task != null) {
                    return task;
                }
            }
        }
        return null;
    }

    /** A worker thread. Its LIFO slot and counters are touched by it alone. */
    static final class Worker extends Thread {
        private static final VarHandle PARKED;

        static {
            try {
                PARKED = MethodHandles.lookup().findVarHandle(Worker.class, "parked", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final WorkStealingDispatcher dispatcher;
        final SpmcVarHandleArrayQueue<Task> local = new SpmcVarHandleArrayQueue<>(LOCAL_QUEUE_CAPACITY);
        /** The LIFO slot: the task scheduled most recently by this worker, not stealable. */
        private Task next;
        private int lifoRun;
        private int tick;
        /** Set when the running task yielded: look at the global queue first next time. */
        private boolean preferGlobal;
        private int seed;
        volatile boolean parked;
        volatile long wakeUps;

        Worker(WorkStealingDispatcher dispatcher, int index, String name) {
            super(name);
            this.dispatcher = dispatcher;
            this.seed = 0x9E3779B9 * (index + 1);
            setDaemon(false);
        }

        /** The running task used up its turn: it goes behind everything else. */
        void yielded(Task task) {
            preferGlobal = true;
            enqueueLocal(task);
        }

        /** Called on this worker's own thread, from inside a turn. */
        void schedule(Task task) {
            Task previous = next;
            next = task;
            if (previous != null) {
                enqueueLocal(previous);
            }
        }

        private void enqueueLocal(Task task) {
            if (!local.offer(task)) {
                dispatcher.global.offer(task);
            }
            dispatcher.wakeIfIdle();
        }

        boolean tryClaimParked() {
            return parked && PARKED.compareAndSet(this, true, false);
        }

        int nextRandom(int bound) {
            int x = seed;
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            seed = x;
            return Math.floorMod(x, bound);
        }

        @Override
        public void run() {
            int misses = 0;
            while (dispatcher.running) {
                Task task = findTask();
                if (task != null) {
                    misses = 0;
                    runTurn(task);
                } else if (++misses < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    misses = 0;
                    park();
                }
            }
        }

        private void runTurn(Task task) {
            try {
                task.runTurn();
            } catch (Throwable unexpected) {
                // Turns handle their own failures; this is a bug in zbmd. Keep the worker alive.
                LOG.error("bug: an actor turn threw out of the runtime on {}", getName(), unexpected);
            }
        }

        private Task findTask() {
            if (preferGlobal || ++tick % GLOBAL_CHECK_INTERVAL == 0) {
                preferGlobal = false;
                Task task = dispatcher.pollGlobal();
                if (task != null) {
                    return task;
                }
            }
            Task task = next;
            if (task != null) {
                next = null;
                if (++lifoRun <= LIFO_LIMIT) {
                    return task;
                }
                lifoRun = 0;
                if (!local.offer(task)) {
                    dispatcher.global.offer(task);
                }
            } else {
                lifoRun = 0;
            }
            task = local.poll();
            if (task == null) {
                task = dispatcher.pollGlobal();
            }
            if (task == null) {
                task = dispatcher.steal(this);
            }
            return task;
        }

        /** Parks until woken; see {@link WorkStealingDispatcher#wakeIfIdle()}. */
        private void park() {
            parked = true;
            dispatcher.idle.incrementAndGet();
            // Last look after announcing: a task published before the announcement is seen
            // here, one published after it finds us in `idle` and wakes us.
            Task task = findTask();
            if (task != null) {
                if (PARKED.compareAndSet(this, true, false)) {
                    dispatcher.idle.decrementAndGet();
                }
                runTurn(task);
                return;
            }
            dispatcher.signalQuiescenceIfAllIdle();
            while (parked && dispatcher.running) {
                LockSupport.park(dispatcher);
            }
            if (PARKED.compareAndSet(this, true, false)) {
                dispatcher.idle.decrementAndGet(); // left because of shutdown
            }
            wakeUps = wakeUps + 1;
        }
    }
}
