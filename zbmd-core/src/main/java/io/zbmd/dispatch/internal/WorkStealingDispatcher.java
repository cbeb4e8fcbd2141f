package io.zbmd.dispatch.internal;

import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.MpmcVarHandleArrayQueue;
import org.jctools.queues.varhandle.SpmcVarHandleArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zbmd's scheduler: N worker threads, each with a bounded local run queue and a LIFO slot,
 * a global queue, work stealing, and parking when there is nothing to do.
 *
 * <h2>Queues</h2>
 * The shape follows Tokio's multi-threaded scheduler and Go's runtime. A task scheduled from
 * a worker goes to that worker's LIFO slot: the actor that was just sent a message runs next,
 * on the same core, while its mailbox is hot in cache (a ping-pong never leaves the core). The
 * slot's previous occupant goes to the local queue, where idle workers can steal it. A task
 * scheduled from any other thread goes to the global queue. A task that yields at the end of
 * its turn (it used up its reductions and still has work) goes to the back of the local
 * queue, never the LIFO slot, and its worker looks at the global queue first next time, so a
 * flooding actor alternates with waiting work instead of starving it. The LIFO slot also
 * yields after {@link #LIFO_LIMIT} consecutive uses while other work waits, and the global
 * queue is looked at first every {@link #GLOBAL_CHECK_INTERVAL} turns.
 *
 * <p>Local queues are JCTools SPMC array queues (the owner produces, the owner and thieves
 * consume). The global queue is a JCTools MPMC array queue, with an unbounded overflow that
 * is used only when it is full.
 *
 * <h2>Waking and parking</h2>
 * Tokio's protocol: a worker without work first <em>searches</em> (polls the global queue and
 * steals) for a while, counted in {@code searching}; then it parks, counted in {@code idle}.
 * Publishing a task wakes a parked worker only if nobody is searching, and the woken worker
 * is counted as searching by its waker, so a burst of submissions wakes one worker, not one
 * per task. When the last searcher finds work it wakes another, so that parallelism ramps up
 * while work keeps coming. No wake-up is lost: see {@link #wakeIfNeeded()}.
 */
public final class WorkStealingDispatcher implements Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(WorkStealingDispatcher.class);

    /** Capacity of each worker's local run queue; overflow goes to the global queue. */
    static final int LOCAL_QUEUE_CAPACITY = 256;
    /** Capacity of the global queue's array; overflow goes to an unbounded list. */
    static final int GLOBAL_QUEUE_CAPACITY = 1 << 13;
    /** Consecutive turns taken from the LIFO slot before it yields to waiting work. */
    static final int LIFO_LIMIT = 32;
    /** Every this many turns a worker looks at the global queue before its own. */
    static final int GLOBAL_CHECK_INTERVAL = 61;
    /** Search rounds (global queue, then every other worker) that spin before backing off. */
    static final int SPIN_ROUNDS = Integer.getInteger("zbmd.spinRounds", 500);
    /** Further search rounds that yield the processor between looks, before a worker parks. */
    static final int YIELD_ROUNDS = Integer.getInteger("zbmd.yieldRounds", 100);

    private final Worker[] workers;
    private final MpmcVarHandleArrayQueue<Task> global = new MpmcVarHandleArrayQueue<>(GLOBAL_QUEUE_CAPACITY);
    private final ConcurrentLinkedQueue<Task> overflow = new ConcurrentLinkedQueue<>();
    /** Workers looking for work (spinning over the queues); at most half of them. */
    private final AtomicInteger searching = new AtomicInteger();
    /** Workers parked or about to park. */
    private final AtomicInteger idle = new AtomicInteger();
    /** Indices of parked workers, a stack guarded by its own monitor (slow paths only). */
    private final int[] sleepers;
    private int sleeperCount;
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
        this.sleepers = new int[workerCount];
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
            pushGlobal(task);
            wakeIfNeeded();
        }
    }

    /**
     * A sender that keeps a receiver busy from inside a long turn (a producer sending a burst)
     * would otherwise hold that receiver in its LIFO slot until the turn ends, while other
     * workers search in vain and the mailbox fills. Moving it to the local queue lets an idle
     * worker steal it and drain the mailbox in parallel, as Go's scheduler steals a busy
     * processor's {@code runnext}. Ping-pongs never get here: their mailboxes hold one message.
     */
    @Override
    public void backlogged(Task task) {
        if (Thread.currentThread() instanceof Worker worker && worker.dispatcher == this) {
            worker.release(task);
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

    private void pushGlobal(Task task) {
        if (!global.offer(task)) {
            overflow.offer(task);
        }
    }

    private Task pollGlobal() {
        Task task = global.poll();
        return task != null ? task : overflow.poll();
    }

    private boolean globalIsEmpty() {
        return global.isEmpty() && overflow.isEmpty();
    }

    /**
     * Wakes a parked worker if work was published and nobody is looking for it.
     *
     * <p>Why no wake-up is lost: the caller published the task, then (full fence) this reads
     * {@code searching} and {@code idle}. A searcher that stops searching decrements
     * {@code searching}, and a worker that parks increments {@code idle}, each with a full
     * fence, and then looks at every queue once more. Whichever of the two sides comes second
     * in the total order of these fenced operations sees the other's write: either this call
     * sees the worker idle (and wakes it) or the worker's last look sees the task. A searcher
     * seen here either finds work (and, if it was the last searcher, comes back here) or
     * parks and takes that last look.
     */
    void wakeIfNeeded() {
        VarHandle.fullFence();
        if (searching.get() != 0 || idle.get() == 0) {
            return;
        }
        Worker woken;
        synchronized (sleepers) {
            if (searching.get() != 0 || sleeperCount == 0) {
                return;
            }
            woken = workers[sleepers[--sleeperCount]];
            // The woken worker is a searcher from now on, so that the next submissions do not
            // wake another one for the same burst (Tokio's rule).
            idle.decrementAndGet();
            searching.incrementAndGet();
            woken.isSearching = true;
            woken.parked = false;
        }
        LockSupport.unpark(woken);
    }

    @Override
    public boolean runsInParallel() {
        return workers.length > 1;
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
                // Bounded wait: a worker counts as parked only once its thread is WAITING,
                // which can be a moment after it notified.
                TimeUnit.NANOSECONDS.timedWait(quiescence, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(10)));
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

    /** Whether another worker may start searching: at most half of them search at once. */
    private boolean tryStartSearching() {
        for (;;) {
            int now = searching.get();
            if (2 * now >= workers.length && now > 0) {
                return false;
            }
            if (searching.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** A worker thread. Its LIFO slot, flags and counters are touched by it alone. */
    static final class Worker extends Thread {
        final WorkStealingDispatcher dispatcher;
        final int index;
        final SpmcVarHandleArrayQueue<Task> local = new SpmcVarHandleArrayQueue<>(LOCAL_QUEUE_CAPACITY);
        /** The LIFO slot: the task scheduled most recently by this worker, not stealable. */
        private Task next;
        private int lifoRun;
        private int tick;
        /** Set when the running task yielded: look at the global queue first next time. */
        private boolean preferGlobal;
        /** Counted in the dispatcher's {@code searching}; set by a waker before it unparks us. */
        volatile boolean isSearching;
        /** Written under the dispatcher's sleepers monitor. */
        private int seed;
        volatile boolean parked;
        volatile long wakeUps;

        Worker(WorkStealingDispatcher dispatcher, int index, String name) {
            super(name);
            this.dispatcher = dispatcher;
            this.index = index;
            this.seed = 0x9E3779B9 * (index + 1);
            setDaemon(false);
        }

        /** Called on this worker's own thread, from inside a turn. */
        void schedule(Task task) {
            Task previous = next;
            next = task;
            if (previous != null) {
                enqueueLocal(previous);
            }
        }

        /** Makes the task in the LIFO slot stealable; see {@link WorkStealingDispatcher#backlogged}. */
        void release(Task task) {
            if (next == task) {
                next = null;
                enqueueLocal(task);
            }
        }

        /** The running task used up its turn: it goes behind everything else. */
        void yielded(Task task) {
            preferGlobal = true;
            enqueueLocal(task);
        }

        private void enqueueLocal(Task task) {
            if (!local.offer(task)) {
                dispatcher.pushGlobal(task);
            }
            dispatcher.wakeIfNeeded();
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
            while (dispatcher.running) {
                Task task = findLocalOrGlobal();
                if (task == null) {
                    task = search();
                }
                if (task != null) {
                    runTurn(task);
                } else {
                    park();
                }
            }
        }

        private void runTurn(Task task) {
            if (isSearching) {
                stopSearching(true);
            }
            try {
                task.runTurn();
            } catch (Throwable unexpected) {
                // Turns handle their own failures; this is a bug in zbmd. Keep the worker alive.
                LOG.error("bug: an actor turn threw out of the runtime on {}", getName(), unexpected);
            }
        }

        /**
         * Leaves the searching state. The last searcher to find work wakes another worker,
         * since more work may be coming (Tokio's ramp-up); the last to give up does nothing
         * here: it looks at every queue once more in {@link #park()}.
         */
        private void stopSearching(boolean foundWork) {
            isSearching = false;
            if (dispatcher.searching.decrementAndGet() == 0 && foundWork) {
                dispatcher.wakeIfNeeded();
            }
        }

        private Task findLocalOrGlobal() {
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
                if (++lifoRun <= LIFO_LIMIT || (local.isEmpty() && dispatcher.globalIsEmpty())) {
                    return task;
                }
                lifoRun = 0;
                if (!local.offer(task)) {
                    dispatcher.pushGlobal(task);
                }
            } else {
                lifoRun = 0;
            }
            task = local.poll();
            return task != null ? task : dispatcher.pollGlobal();
        }

        /**
         * Polls the global queue and steals, for a while, if allowed to search. It backs off
         * the way Agrona's {@code BackoffIdleStrategy} does, without its timed parks: it spins
         * for {@link #SPIN_ROUNDS} rounds (work that comes within a few microseconds is taken
         * at once), then yields the processor between looks for {@link #YIELD_ROUNDS} rounds
         * (on a busy machine, the other processes and the producers outside the system run
         * meanwhile), then parks until woken. A timed park would sleep at least the kernel's
         * timer slack (50 µs) while counted as searching, when nobody would wake it for new
         * work; parking untimed leaves the waking to {@link #wakeIfNeeded()}.
         */
        private Task search() {
            if (!isSearching) {
                if (!dispatcher.tryStartSearching()) {
                    return null;
                }
                isSearching = true;
            }
            for (int round = 0; round < SPIN_ROUNDS + YIELD_ROUNDS && dispatcher.running; round++) {
                Task task = dispatcher.pollGlobal();
                if (task == null) {
                    task = dispatcher.steal(this);
                }
                if (task != null) {
                    return task;
                }
                if (round < SPIN_ROUNDS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            return null;
        }

        /** Parks until woken; see {@link WorkStealingDispatcher#wakeIfNeeded()}. */
        private void park() {
            if (isSearching) {
                stopSearching(false);
            }
            synchronized (dispatcher.sleepers) {
                dispatcher.sleepers[dispatcher.sleeperCount++] = index;
                parked = true;
                dispatcher.idle.incrementAndGet();
            }
            // Last look after announcing: a task published before the announcement is seen
            // here, one published after it finds us counted in `idle` and wakes us.
            Task task = findLocalOrGlobal();
            if (task == null) {
                task = dispatcher.steal(this);
            }
            if (task != null) {
                synchronized (dispatcher.sleepers) {
                    if (parked) {
                        unregisterSleeper();
                    } // else a waker took us meanwhile and made us a searcher
                }
                runTurn(task);
                return;
            }
            dispatcher.signalQuiescenceIfAllIdle();
            while (parked && dispatcher.running) {
                LockSupport.park(dispatcher);
            }
            synchronized (dispatcher.sleepers) {
                if (parked) {
                    unregisterSleeper(); // left because of shutdown
                }
            }
            wakeUps = wakeUps + 1;
        }

        /** Under the sleepers monitor: take this worker off the stack of parked workers. */
        private void unregisterSleeper() {
            int[] stack = dispatcher.sleepers;
            for (int i = 0; i < dispatcher.sleeperCount; i++) {
                if (stack[i] == index) {
                    stack[i] = stack[--dispatcher.sleeperCount];
                    break;
                }
            }
            parked = false;
            dispatcher.idle.decrementAndGet();
        }
    }
}
