package io.zbmd.gpu.cpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The compute pool's spin and park: {@link ComputeWorkers#quiesce()} ends an idle worker's spin. */
class ComputeWorkersTest {
    /** Longer than any test run: without a quiesce, an idle worker never parks here. */
    private static final long FOREVER_NS = Long.MAX_VALUE / 4;

    @Test
    // A failure guard only, on a thread of its own since the wait below does not see interrupts:
    // without quiesce() the worker spins on and the wait never ends.
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aQuiescedIdleWorkerParksAndAnotherCallWakesIt() throws InterruptedException {
        try (ComputeWorkers workers = new ComputeWorkers(2, FOREVER_NS)) {
            Thread worker = runOnBoth(workers);
            workers.quiesce();
            while (worker.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            assertThat(runOnBoth(workers)).as("the parked worker takes part in the next call").isSameAs(worker);
        }
    }

    /**
     * Runs a call of two parts that wait for each other, so that the worker must run one.
     *
     * @return the worker's thread
     */
    private static Thread runOnBoth(ComputeWorkers workers) {
        CountDownLatch both = new CountDownLatch(2);
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        workers.run(2, part -> {
            ran.add(Thread.currentThread());
            both.countDown();
            try {
                both.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        ran.remove(Thread.currentThread());
        assertThat(ran).hasSize(1);
        return ran.iterator().next();
    }
}
