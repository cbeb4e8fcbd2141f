package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MailboxTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    /**
     * Fills a mailbox of 16 while its actor is busy: offers past the bound are refused to the
     * sender, tells become MAILBOX_FULL dead letters, a stop still gets through, and what was
     * queued becomes TERMINATED dead letters. Every message is accounted for.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void theBoundIsExactAndNothingIsLostSilently(ActorSystemConfig config) throws Exception {
        try (Driver driver = Driver.of(config)) {
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicLong handled = new AtomicLong();
            ActorRef<Integer> actor = driver.system.spawn(SpawnOptions.named("busy").withMailboxCapacity(16),
                    ctx -> m -> {
                        handled.incrementAndGet();
                        if (m == 0 && !driver.deterministic()) {
                            busy.countDown();
                            gate.await();
                        }
                    });
            int first = 0;
            if (!driver.deterministic()) {
                actor.tell(first++);
                busy.await(); // message 0 is being handled: the queue is empty
            }
            int accepted = 0;
            while (actor.offer(first + accepted)) {
                accepted++;
            }
            assertThat(accepted).as("offers accepted by a mailbox of 16").isEqualTo(16);
            assertThat(actor.offer(-1)).isFalse();
            actor.tell(-2);
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.MAILBOX_FULL)).isEqualTo(1);
            assertThat(driver.system.metricsOf(actor).mailboxSize()).isEqualTo(16);

            driver.system.stop(actor); // a system message: the full mailbox does not hold it back
            gate.countDown();
            assertThat(driver.awaitTermination(actor)).isEqualTo(ExitReason.SHUTDOWN);

            long terminatedLetters = driver.system.metrics().deadLetters(DeadLetterReason.TERMINATED);
            assertThat(handled.get() + terminatedLetters).as("handled + dead, of the queued").isEqualTo(first + 16);
            assertThat(handled.get()).isEqualTo(first); // the stop overtook the queued messages
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void concurrentSendersAreAllAccountedFor(ActorSystemConfig config) throws Exception {
        try (Driver driver = Driver.of(config)) {
            int senders = driver.deterministic() ? 1 : 4;
            int perSender = 50_000;
            AtomicLong handled = new AtomicLong();
            ActorRef<Long> sink = driver.system.spawn(SpawnOptions.named("sink").withMailboxCapacity(64),
                    ctx -> m -> handled.incrementAndGet());
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (long i = 0; i < perSender; i++) {
                        sink.tell(i);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            driver.system.stop(sink);
            driver.awaitTermination(sink);
            RuntimeMetrics metrics = driver.system.metrics();
            long dead = metrics.deadLetters(DeadLetterReason.MAILBOX_FULL) + metrics.deadLetters(DeadLetterReason.TERMINATED);
            assertThat(handled.get() + dead).isEqualTo((long) senders * perSender);
            assertThat(driver.system.metricsOf(sink).messagesProcessed()).isEqualTo(handled.get());
        }
    }

    @Test
    void deadLettersAreObservableAndCountedByReason() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(7))) {
            Map<DeadLetterReason, Integer> seen = new EnumMap<>(DeadLetterReason.class);
            driver.system.events().subscribe(DeadLetter.class, d -> seen.merge(d.reason(), 1, Integer::sum));
            ActorRef<String> small = driver.system.spawn(SpawnOptions.named("small").withMailboxCapacity(4), ctx -> m -> {});
            for (int i = 0; i < 6; i++) {
                small.tell("m" + i); // nothing runs yet: 4 queued, 2 refused
            }
            driver.system.registry().tell("nobody", "hello");
            driver.system.stop(small);
            driver.awaitTermination(small);
            small.tell("after");

            assertThat(seen).containsEntry(DeadLetterReason.MAILBOX_FULL, 2)
                    .containsEntry(DeadLetterReason.UNKNOWN_NAME, 1)
                    .containsEntry(DeadLetterReason.TERMINATED, 5);
            RuntimeMetrics metrics = driver.system.metrics();
            seen.forEach((reason, count) -> assertThat(metrics.deadLetters(reason)).isEqualTo(count.longValue()));
            assertThat(metrics.deadLettersTotal()).isEqualTo(8);
        }
    }

    @Test
    void highWaterMarksAreKeptPerActorAndOverall() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(7))) {
            ActorRef<Integer> actor = driver.system.spawn("queued", ctx -> m -> {});
            for (int i = 0; i < 100; i++) {
                actor.tell(i);
            }
            driver.system.deterministic().runUntilIdle();
            ActorMetrics metrics = driver.system.metricsOf(actor);
            assertThat(metrics.mailboxHighWaterMark()).isEqualTo(100);
            assertThat(metrics.mailboxSize()).isZero();
            assertThat(metrics.messagesProcessed()).isEqualTo(100);
            assertThat(metrics.mailboxCapacity()).isEqualTo(ActorSystemConfig.DEFAULT_MAILBOX_CAPACITY);
            assertThat(driver.system.metrics().mailboxHighWaterMark()).isEqualTo(100);
            assertThat(driver.system.metrics().messagesProcessed()).isEqualTo(100);
        }
    }

    @Test
    void signalsAreNotRefusedByAFullMailbox() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(3))) {
            List<Object> seen = new ArrayList<>();
            ActorRef<Object> watched = driver.system.spawn("watched", ctx -> m -> {});
            ActorRef<Object> watcher = driver.system.spawn(SpawnOptions.named("watcher").withMailboxCapacity(4),
                    ctx -> new Actor<>() {
                        @Override
                        public void onStart() {
                            ctx.monitor(watched);
                        }

                        @Override
                        public void onMessage(Object message) {
                            seen.add(message);
                        }

                        @Override
                        public void onSignal(Signal signal) {
                            seen.add(signal);
                        }
                    });
            for (int i = 0; i < 4; i++) {
                watcher.tell(i);
            }
            assertThat(watcher.offer(99)).isFalse(); // full
            driver.system.stop(watched);
            driver.system.deterministic().runUntilIdle();
            assertThat(seen).hasSize(5);
            assertThat(seen.subList(0, 4)).containsExactly(0, 1, 2, 3);
            assertThat(seen.get(4)).isInstanceOf(Signal.Down.class);
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.MAILBOX_FULL)).isZero();
            driver.system.deterministic().advanceTime(Duration.ZERO);
        }
    }
}
