package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Timers under virtual time (exact), plus one real-time check. */
class TimersTest {

    record Do(java.util.function.Consumer<ActorContext<Object>> action) {}

    static ActorRef<Object> recorder(ActorSystem system, List<Object> seen) {
        return system.spawn("timed", ctx -> m -> {
            if (m instanceof Do d) {
                d.action().accept(ctx);
            } else {
                seen.add(m);
            }
        });
    }

    @Test
    void aSingleTimerFiresOnceAtItsTime() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> actor = recorder(driver.system, seen);
            actor.tell(new Do(c -> c.timers().startSingle("k", "tick", Duration.ofMillis(100))));
            driver.system.deterministic().advanceTime(Duration.ofMillis(99));
            assertThat(seen).isEmpty();
            driver.system.deterministic().advanceTime(Duration.ofMillis(1));
            assertThat(seen).containsExactly("tick");
            driver.system.deterministic().advanceTime(Duration.ofSeconds(10));
            assertThat(seen).containsExactly("tick");
            assertThat(driver.system.metrics().pendingTimers()).isZero();
        }
    }

    @Test
    void anActorReadsTheVirtualClockFromItsContext() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> actor = recorder(driver.system, seen);
            actor.tell(new Do(c -> c.timers().startSingle("k", "tick", Duration.ofMillis(250))));
            actor.tell(new Do(c -> seen.add(c.nanoTime())));
            driver.system.deterministic().runUntilIdle();
            driver.system.deterministic().advanceTime(Duration.ofMillis(250));
            actor.tell(new Do(c -> seen.add(c.nanoTime())));
            driver.system.deterministic().runUntilIdle();
            assertThat(seen).containsExactly(0L, "tick", Duration.ofMillis(250).toNanos());
        }
    }

    @Test
    void aPeriodicTimerFiresEveryInterval() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> actor = recorder(driver.system, seen);
            actor.tell(new Do(c -> c.timers().startPeriodic("k", "tick", Duration.ofMillis(100))));
            driver.system.deterministic().advanceTime(Duration.ofSeconds(1));
            assertThat(seen).hasSize(10);
            actor.tell(new Do(c -> c.timers().cancel("k")));
            driver.system.deterministic().advanceTime(Duration.ofSeconds(1));
            assertThat(seen).hasSize(10);
            assertThat(driver.system.metrics().pendingTimers()).isZero();
        }
    }

    @Test
    void aCancelledTimersQueuedMessageIsNeverHandled() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> actor = recorder(driver.system, seen);
            Do cancel = new Do(c -> c.timers().cancel("k"));
            actor.tell(new Do(c -> {
                // Both fire at 50 ms: the cancel is queued first, the timer's message after it.
                c.sendAfter(c.self(), cancel, Duration.ofMillis(50));
                c.timers().startSingle("k", "must not arrive", Duration.ofMillis(50));
            }));
            driver.system.deterministic().advanceTime(Duration.ofMillis(50));
            assertThat(seen).isEmpty();
            assertThat(driver.system.metricsOf(actor).messagesProcessed()).as("arm, cancel, dropped tick").isEqualTo(2);
        }
    }

    @Test
    void restartingAKeyReplacesTheTimer() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> actor = recorder(driver.system, seen);
            actor.tell(new Do(c -> {
                c.timers().startSingle("k", "old", Duration.ofMillis(10));
                c.timers().startSingle("k", "new", Duration.ofMillis(20));
            }));
            driver.system.deterministic().advanceTime(Duration.ofSeconds(1));
            assertThat(seen).containsExactly("new");
        }
    }

    @Test
    void timersAreCancelledWhenTheActorEnds() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(1))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> other = driver.system.spawn("other", ctx -> seen::add);
            ActorRef<Object> actor = recorder(driver.system, new ArrayList<>());
            actor.tell(new Do(c -> {
                c.timers().startPeriodic("p", "tick", Duration.ofMillis(10));
                c.timers().startSingle("s", "tock", Duration.ofHours(1));
                c.sendAfter(other, "later", Duration.ofHours(1));
            }));
            driver.system.deterministic().runUntilIdle();
            assertThat(driver.system.metrics().pendingTimers()).isEqualTo(3);
            driver.system.stop(actor);
            driver.system.deterministic().runUntilIdle();
            assertThat(driver.system.metrics().pendingTimers()).isZero();
            driver.system.deterministic().advanceTime(Duration.ofHours(2));
            assertThat(seen).isEmpty();
        }
    }

    @Test
    void realTimeTimersFireToo() {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            List<Object> seen = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch three = new CountDownLatch(3);
            ActorRef<Object> actor = driver.system.spawn("timed", ctx -> m -> {
                if (m instanceof Do d) {
                    d.action().accept(ctx);
                } else {
                    seen.add(m);
                    three.countDown();
                    if (three.getCount() == 0) {
                        ctx.timers().cancelAll();
                    }
                }
            });
            actor.tell(new Do(c -> c.timers().startPeriodic("p", "tick", Duration.ofMillis(5))));
            driver.await(three);
            assertThat(seen).hasSizeGreaterThanOrEqualTo(3).containsOnly("tick");
        }
    }
}
