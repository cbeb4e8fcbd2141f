package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads of multi-threaded kernels (a GEMM, the element-wise and neural-network
 * kernels): {@code threads - 1} daemon workers of their own, plus the calling thread, which
 * computes too (as in BLIS and OpenBLAS). Not
 * {@link java.util.concurrent.ForkJoinPool#commonPool()}: a kernel that blocks the common
 * pool would stall unrelated parallel streams, and the actor dispatcher must not lose its
 * threads to a matrix multiply.
 *
 * <p>A call's parts are fixed in advance; which thread runs which part is not, and need not
 * be, since a part's result does not depend on its thread. Threads claim parts from the call
 * (the caller first), so a call never waits for a worker that is slow to wake, is busy with
 * another call, or has been closed: the caller then runs the parts itself.
 *
 * <p>Workers spin for {@link #WORKER_SPIN_NS} after their last part before they park, because
 * waking a parked thread on a virtual machine takes tens of microseconds, as long as a
 * quarter of a 512³ multiply on two threads, and a training step calls GEMM back to back.
 * {@link #quiesce()} cuts the spin short when the caller knows other threads want the cores.
 *
 * <p>Thread-safe: concurrent calls queue on the same workers.
 */
public final class ComputeWorkers implements AutoCloseable {
    /** How long an idle worker polls before it parks. */
    static final long WORKER_SPIN_NS = 100_000;
    /** How long a caller polls for its last parts before it parks. */
    static final long CALLER_SPIN_NS = 50_000;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final long workerSpinNs;
    private final Worker[] workers;
    /** One ticket per part a worker may take; a ticket whose parts are all claimed is skipped. */
    private final ConcurrentLinkedQueue<Call> tickets = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;
    /** Bumped by {@link #quiesce()}; a worker that took its last ticket before the bump parks at once. */
    private volatile int quietEpoch;

    /** @return threads one call may use, the caller's included */
    public int threads() {
        return threads;
    }

    /**
     * @param threads threads one call uses, the caller's included
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public ComputeWorkers(int threads) {
        this(threads, WORKER_SPIN_NS);
    }

    /** As above, with the workers' spin before they park; 0 parks at once. */
    public ComputeWorkers(int threads, long workerSpinNs) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " is less than 1");
        }
        this.threads = threads;
        this.workerSpinNs = workerSpinNs;
        this.workers = new Worker[threads - 1];
        int pool = POOLS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread thread = new Thread(workers[i], "zbmd-compute-" + pool + "-" + (i + 1));
            thread.setDaemon(true);
            workers[i].thread = thread;
            thread.start();
        }
    }

    /**
     * Runs {@code part.accept(i)} for every {@code i} below {@code parts}, on the caller and
     * the workers, and returns when all are done.
     *
     * @param parts from 1 to {@code threads}
     * @throws IllegalArgumentException if {@code parts} is out of range
     * @throws RuntimeException the first part's failure (an {@link Error} as itself), with
     *     the others' suppressed
     */
    public void run(int parts, IntConsumer part) {
        if (parts < 1 || parts > threads) {
            throw new IllegalArgumentException("parts = " + parts + " is not in [1, " + threads + "]");
        }
        Call call = new Call(part, parts);
        if (parts > 1 && !closed) {
            for (int i = 1; i < parts; i++) {
                tickets.offer(call);
            }
            // The offers above are volatile writes (CAS) made before the reads of `parked`
            // below; a worker writes `parked` before it polls again. Sequential consistency of
            // volatiles means that either it sees a ticket or we see it parked and wake it.
            for (Worker worker : workers) {
                if (worker.parked) {
                    LockSupport.unpark(worker.thread);
                }
            }
        }
        call.runParts();
        call.awaitDone();
        call.rethrow();
    }

    /**
     * @return whether every worker may access all the segments (nulls skipped): false when one
     *     is confined to the calling thread (an {@link java.lang.foreign.Arena#ofConfined()} segment)
     */
    public boolean accessible(MemorySegment... segments) {
        for (Worker worker : workers) {
            for (MemorySegment segment : segments) {
                if (segment != null && !segment.isAccessibleBy(worker.thread)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Asks the workers to park as soon as they are idle rather than spin for
     * {@link #WORKER_SPIN_NS}: the caller is about to run something that wants the cores
     * itself, such as a native GEMM on threads of its own, which a spinning worker would slow
     * down (on two cores, a third thread spinning through a 0.1-0.4 ms product). Workers woken
     * by a later call spin as usual after it. Thread-safe.
     */
    public void quiesce() {
        quietEpoch++; // racing bumps may count as one; any bump is enough
    }

    /** Stops the workers once they are idle; calls still running finish on their callers. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Worker worker : workers) {
            LockSupport.unpark(worker.thread);
        }
    }

    /** One call: its parts, who claimed them, and how many are still running. */
    private static final class Call {
        private final IntConsumer body;
        private final int parts;
        private final AtomicInteger nextPart = new AtomicInteger();
        private final AtomicInteger unfinished;
        private volatile Thread waiter;
        private Throwable failure; // guarded by this

        Call(IntConsumer body, int parts) {
            this.body = body;
            this.parts = parts;
            this.unfinished = new AtomicInteger(parts);
        }

        /** Claims and runs parts until none is left. */
        void runParts() {
            for (int index = nextPart.getAndIncrement(); index < parts; index = nextPart.getAndIncrement()) {
                try {
                    body.accept(index);
                } catch (Throwable t) {
                    fail(t);
                }
                // The decrement (a full fence) comes before the read of `waiter`; the caller
                // writes `waiter` before it reads `unfinished` again: one of us sees the other.
                if (unfinished.decrementAndGet() == 0) {
                    Thread parked = waiter;
                    if (parked != null) {
                        LockSupport.unpark(parked);
                    }
                }
            }
        }

        /** Waits, spinning then parking, for the parts other threads claimed. */
        void awaitDone() {
            long spinUntil = System.nanoTime() + CALLER_SPIN_NS;
            while (unfinished.get() > 0 && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (unfinished.get() == 0) {
                return;
            }
            waiter = Thread.currentThread();
            boolean interrupted = false;
            // Not interruptible: C must not be written after the call has returned.
            while (unfinished.get() > 0) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private synchronized void fail(Throwable t) {
            if (failure == null) {
                failure = t;
            } else {
                failure.addSuppressed(t);
            }
        }

        /** Called after {@link #awaitDone}: every part's write of {@code failure} happened before. */
        synchronized void rethrow() {
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }
    }

    /** A worker: takes tickets, spins a while when there are none, then parks. */
    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override
        public void run() {
            int epoch = quietEpoch;
            for (Call call = next(epoch); call != null; call = next(epoch)) {
                // Read before the parts run: a quiesce() after the caller saw them done is newer.
                epoch = quietEpoch;
                call.runParts();
            }
        }

        /**
         * @param epoch {@link #quietEpoch} when the last ticket was taken: a newer one ends the spin
         * @return the next ticket, or null once closed and idle
         */
        private Call next(int epoch) {
            long spinUntil = System.nanoTime() + workerSpinNs;
            while (true) {
                Call call = tickets.poll();
                if (call != null) {
                    return call;
                }
                if (closed) {
                    return null;
                }
                if (System.nanoTime() < spinUntil && quietEpoch == epoch) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                // Poll again after announcing the park (see run): a ticket offered before a
                // submitter read `parked` as false is seen here.
                call = tickets.poll();
                if (call == null && !closed) {
                    LockSupport.park(this);
                }
                parked = false;
                if (call != null) {
                    return call;
                }
            }
        }
    }
}
