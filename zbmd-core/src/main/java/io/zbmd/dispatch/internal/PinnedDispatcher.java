package io.zbmd.dispatch.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One actor's own platform thread, for an actor that owns something bound to a thread: a
 * device context and its queue, a native library that is not thread-safe. Every turn of that
 * actor, its start included, runs on this thread and on no other (Pekko's
 * {@code PinnedDispatcher}, a dirty scheduler of one in OTP).
 *
 * <p>When its actor has terminated, the thread ends; a turn asked for afterwards (a message
 * that raced with the termination and only becomes a dead letter) runs on the system's shared
 * dispatcher. Thread-safe.
 */
public final class PinnedDispatcher implements Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedDispatcher.class);
    private static final Task STOP = new Task() {
        private static final long serialVersionUID = 1L;

        @Override
        public void runTurn() {}
    };

    private final Dispatcher shared;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Set, under the queue's lock, when the thread takes no more turns. */
    private boolean finished;

    /**
     * Starts the thread.
     *
     * @param name the thread's name
     * @param shared the system's dispatcher: its timers, and where late turns go
     */
    public PinnedDispatcher(String name, Dispatcher shared) {
        this.shared = Objects.requireNonNull(shared, "shared must not be null");
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
    }

    private void loop() {
        while (true) {
            Task task;
            try {
                task = next();
            } catch (InterruptedException e) {
                // Only stop() ends the loop: the actor's turns must not be lost.
                continue;
            }
            if (task == STOP) {
                break;
            }
            try {
                task.runTurn();
            } catch (Throwable bug) {
                LOG.error("bug: a turn threw on pinned thread {}", thread.getName(), bug);
            }
        }
        // A turn queued after the STOP goes to the shared dispatcher, as later ones will.
        List<Task> late = new ArrayList<>();
        synchronized (queue) {
            finished = true;
            queue.drainTo(late);
        }
        late.forEach(shared::execute);
    }

    /**
     * The next turn, looked for as the work-stealing workers do: spinning for a few
     * microseconds (a device actor's next stage usually follows its last closely), then
     * yielding between looks, then blocking. Blocking at once cost a park and an unpark per
     * stage, about 75 µs a round trip on a two-core machine.
     */
    private Task next() throws InterruptedException {
        for (int round = 0; round < WorkStealingDispatcher.SPIN_ROUNDS + WorkStealingDispatcher.YIELD_ROUNDS; round++) {
            Task task = queue.poll();
            if (task != null) {
                return task;
            }
            if (round < WorkStealingDispatcher.SPIN_ROUNDS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return queue.take();
    }

    /**
     * Runs {@code action} on this thread and waits for it: an actor's start, which must happen
     * on the thread that will own its resources.
     *
     * @param action what to run; it handles its own failures
     */
    public void runAndWait(Runnable action) {
        if (Thread.currentThread() == thread) {
            action.run();
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        queue.add(new Task() {
            private static final long serialVersionUID = 1L;

            @Override
            public void runTurn() {
                try {
                    action.run();
                } finally {
                    done.countDown();
                }
            }
        });
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the start runs regardless; wait for it, then say so
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void execute(Task task) {
        synchronized (queue) {
            if (!finished) {
                queue.add(task);
                return;
            }
        }
        shared.execute(task);
    }

    @Override
    public void executeYielded(Task task) {
        execute(task);
    }

    @Override
    public boolean runsInParallel() {
        return true;
    }

    @Override
    public boolean isDispatcherThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public TimerService timers() {
        return shared.timers();
    }

    /** Ends the thread after the turns already queued; later turns go to the shared dispatcher. */
    public void stop() {
        queue.add(STOP);
    }

    /** @return the thread, for tests */
    public Thread thread() {
        return thread;
    }

    @Override
    public void shutdown(long timeoutNanos) {
        stop();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            if (!thread.join(Duration.ofNanos(timeoutNanos))) {
                LOG.warn("pinned thread {} did not stop within the shutdown timeout; its actor is still running",
                        thread.getName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "PinnedDispatcher[" + thread.getName() + "]";
    }
}
