package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.dispatch.DispatcherKind;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchedulerTest {

    static final int BUDGET = 10;
    static final int FLOOD = 5_000;

    static List<ActorSystemConfig> oneWorkerConfigs() {
        return Driver.configs().stream()
                .map(c -> c.withWorkers(1).withReductionsPerTurn(BUDGET).withMailboxCapacity(1 << 13))
                .toList();
    }

    /**
     * One worker, a flooder with thousands of messages queued, and another actor with one:
     * the other actor runs long before the flood is over. On zbmd's scheduler, exactly after
     * the flooder's first turn: a yielding actor goes behind waiting work.
     */
    @ParameterizedTest
    @MethodSource("oneWorkerConfigs")
    void aFloodingActorCannotStarveTheOthers(ActorSystemConfig config) throws Exception {
        try (Driver driver = Driver.of(config)) {
            AtomicLong flooded = new AtomicLong();
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            ActorRef<Integer> flooder = driver.system.spawn("flooder", ctx -> m -> {
                if (flooded.incrementAndGet() == 1 && !driver.deterministic()) {
                    busy.countDown();
                    gate.await(); // holds the only worker while the test queues everything
                }
            });
            CompletableFuture<Long> floodedWhenOtherRan = new CompletableFuture<>();
            ActorRef<String> other = driver.system.spawn("other", ctx -> m -> floodedWhenOtherRan.complete(flooded.get()));
            flooder.tell(0);
            if (!driver.deterministic()) {
                busy.await();
            }
            for (int i = 1; i < FLOOD; i++) {
                flooder.tell(i);
            }
            other.tell("my turn");
            gate.countDown();

            long seen = driver.await(floodedWhenOtherRan);
            assertThat(seen).as("flood messages handled before the other actor ran").isLessThan(FLOOD);
            if (config.dispatcher() instanceof DispatcherKind.WorkStealing) {
                assertThat(seen).isEqualTo(BUDGET);
            }
        }
    }

    /** An idle system parks every worker: no wake-ups and no CPU while nothing happens. */
    @Test
    void idleWorkersParkAndUseNoCpu() throws Exception {
        ActorSystemConfig config = ActorSystemConfig.defaults().withName("idle").withWorkers(2);
        try (ActorSystem system = ActorSystem.create(config)) {
            var dispatcher = (io.zbmd.dispatch.internal.WorkStealingDispatcher)
                    new RuntimeAccess(system).dispatcher();
            record Ping(ActorRef<Integer> replyTo) {}
            ActorRef<Ping> echo = system.spawn("echo", ctx -> m -> m.replyTo().tell(1));
            for (int i = 0; i < 10_000; i++) {
                echo.ask(Ping::new, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
            }
            assertThat(dispatcher.awaitAllParked(Driver.HANG_GUARD.toNanos())).isTrue();

            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            Thread[] workers = dispatcher.workerThreads();
            long wakeUps = dispatcher.wakeUps();
            long cpuBefore = 0;
            for (Thread worker : workers) {
                cpuBefore += threads.getThreadCpuTime(worker.threadId());
            }
            // An observation window, not a wait for something: nothing may happen in it.
            Thread.sleep(300);
            long cpuAfter = 0;
            for (Thread worker : workers) {
                cpuAfter += threads.getThreadCpuTime(worker.threadId());
                assertThat(worker.getState()).isEqualTo(Thread.State.WAITING);
            }
            assertThat(dispatcher.wakeUps()).as("worker wake-ups while idle").isEqualTo(wakeUps);
            assertThat(cpuAfter - cpuBefore).as("worker CPU nanoseconds while idle").isLessThan(1_000_000);
        }
    }
}
