package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

    /**
     * A producer outside the system waits for room in a full mailbox instead of losing its
     * message: it is parked while the actor is held busy, and its message goes in, after the
     * sixteen before it, once the actor drains.
     */
    @Test
    @Timeout(60)
    void aTimedOfferWaitsForRoomAndLosesNothing() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch all = new CountDownLatch(18);
            ActorRef<Integer> actor = driver.system.spawn(SpawnOptions.named("slow").withMailboxCapacity(16), ctx -> m -> {
                seen.add(m);
                all.countDown();
                if (m == 0) {
                    busy.countDown();
                    gate.await();
                }
            });
            actor.tell(0);
            driver.await(busy);
            for (int i = 1; i <= 16; i++) {
                assertThat(actor.offer(i)).isTrue();
            }
            CompletableFuture<Boolean> accepted = parkedOffer(actor, 17, Duration.ofMinutes(1));
            assertThat(driver.system.metricsOf(actor).mailboxSize()).isEqualTo(16);
            gate.countDown();
            assertThat(driver.await(accepted)).isTrue();
            driver.await(all);
            assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, 17).boxed().toList());
            assertThat(driver.system.metrics().deadLettersTotal()).isZero();
        }
    }

    /** The wait ends with false at the timeout while there is no room, and when the actor ends. */
    @Test
    @Timeout(60)
    void aTimedOfferGivesUpAtItsTimeoutOrWhenTheActorEnds() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            ActorRef<Integer> actor = driver.system.spawn(SpawnOptions.named("stuck").withMailboxCapacity(4), ctx -> m -> {
                busy.countDown();
                gate.await();
            });
            actor.tell(0);
            driver.await(busy);
            for (int i = 1; i <= 4; i++) {
                assertThat(actor.offer(i)).isTrue();
            }
            assertThat(actor.offer(5, Duration.ofMillis(20))).as("no room within the timeout").isFalse();
            assertThat(actor.offer(5, Duration.ZERO)).isFalse();

            CompletableFuture<Boolean> accepted = parkedOffer(actor, 6, Duration.ofHours(1));
            driver.system.stop(actor);
            gate.countDown();
            // Woken by the actor's end, long before its hour.
            assertThat(driver.await(accepted)).isFalse();
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.MAILBOX_FULL)).as("refused offers are the caller's").isZero();
        }
    }

    /**
     * Starts a timed offer on a thread outside the system and returns once that thread is
     * parked in it (the mailbox is full), or the offer has already ended.
     */
    private static CompletableFuture<Boolean> parkedOffer(ActorRef<Integer> actor, int message, Duration timeout) {
        CompletableFuture<Boolean> accepted = new CompletableFuture<>();
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                accepted.complete(actor.offer(message, timeout));
            } catch (Throwable e) {
                accepted.completeExceptionally(e);
            }
        });
        while (!accepted.isDone() && producer.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        assertThat(accepted).as("a timed offer to a full mailbox waits").isNotDone();
        return accepted;
    }

    /** A timed offer to an actor that has ended, never sent anything, is refused at once. */
    @Test
    @Timeout(60)
    void aTimedOfferToAnEndedActorIsRefusedAtOnce() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            ActorRef<Integer> ended = driver.system.spawn("ended", ctx -> m -> {});
            driver.system.stop(ended);
            driver.awaitTermination(ended);
            assertThat(ended.offer(1, Duration.ofHours(1))).isFalse();
        }
    }

    /** Inside an actor a timed offer would hold a dispatcher thread: it is refused at once. */
    @Test
    void aTimedOfferFromInsideAnActorIsRefused() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(5))) {
            ActorRef<String> target = driver.system.spawn("target", ctx -> m -> {});
            java.util.concurrent.CompletableFuture<Throwable> thrown = new java.util.concurrent.CompletableFuture<>();
            ActorRef<String> sender = driver.system.spawn("sender", ctx -> m -> {
                try {
                    target.offer(m, Duration.ofSeconds(1));
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
            });
            sender.tell("hello");
            driver.system.deterministic().runUntilIdle();
            assertThat(thrown.join()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/target").hasMessageContaining("tell");
        }
    }

    /**
     * Twenty producers outside the system feed one actor through a mailbox of 64 with timed
     * offers: every message arrives, in order per producer, and none is a dead letter.
     */
    @Test
    @Timeout(120)
    void manyProducersWithTimedOffersLoseNothing() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            int producers = 20;
            int perProducer = 20_000;
            long[] lastSeen = new long[producers];
            java.util.Arrays.fill(lastSeen, -1);
            AtomicLong outOfOrder = new AtomicLong();
            CountDownLatch done = new CountDownLatch(producers * perProducer);
            ActorRef<long[]> sink = driver.system.spawn(SpawnOptions.named("sink").withMailboxCapacity(64), ctx -> m -> {
                int from = (int) m[0];
                if (m[1] != lastSeen[from] + 1) {
                    outOfOrder.incrementAndGet();
                }
                lastSeen[from] = m[1];
                done.countDown();
            });
            AtomicLong refused = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int from = p;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (long i = 0; i < perProducer; i++) {
                        try {
                            if (!sink.offer(new long[] {from, i}, Duration.ofMinutes(1))) {
                                refused.incrementAndGet();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            driver.await(done);
            assertThat(refused.get()).isZero();
            assertThat(outOfOrder.get()).isZero();
            assertThat(driver.system.metrics().deadLettersTotal()).isZero();
            assertThat(driver.system.metricsOf(sink).mailboxHighWaterMark()).isLessThanOrEqualTo(64);
        }
    }

    /**
     * An actor floods another through a mailbox of 16: the counter drains it on the other
     * worker while the producer's turn goes on, and the producer waits for room while it
     * does, so nothing becomes a dead letter.
     */
    @Test
    @Timeout(120)
    void aFloodFromAnActorWaitsForAConsumerThatKeepsDraining() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            int messages = 200_000;
            CountDownLatch counted = new CountDownLatch(messages);
            ActorRef<Integer> counter = driver.system.spawn(SpawnOptions.named("counter").withMailboxCapacity(16),
                    ctx -> m -> counted.countDown());
            ActorRef<String> producer = driver.system.spawn("producer", ctx -> m -> {
                for (int i = 0; i < messages; i++) {
                    counter.tell(i);
                }
            });
            producer.tell("go");
            driver.await(counted);
            assertThat(driver.system.metrics().deadLettersTotal()).isZero();
            assertThat(driver.system.metricsOf(counter).mailboxHighWaterMark()).isLessThanOrEqualTo(16);
        }
    }

    /**
     * A consumer that takes nothing (it is busy in one long handler) cannot hold a flooding
     * producer: the producer waits once, then its messages become dead letters, and every
     * message is accounted for.
     */
    @Test
    @Timeout(120)
    void aFloodToAConsumerThatTakesNothingEndsInDeadLetters() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicLong handled = new AtomicLong();
            ActorRef<Integer> stuck = driver.system.spawn(SpawnOptions.named("stuck").withMailboxCapacity(16), ctx -> m -> {
                handled.incrementAndGet();
                if (m == -1) {
                    busy.countDown();
                    gate.await();
                }
            });
            stuck.tell(-1);
            driver.await(busy);
            int messages = 10_000;
            CountDownLatch sent = new CountDownLatch(1);
            ActorRef<String> producer = driver.system.spawn("producer", ctx -> m -> {
                for (int i = 0; i < messages; i++) {
                    stuck.tell(i);
                }
                sent.countDown();
            });
            producer.tell("go");
            driver.await(sent);
            long full = driver.system.metrics().deadLetters(DeadLetterReason.MAILBOX_FULL);
            assertThat(full).isEqualTo(messages - 16);
            gate.countDown();
            driver.system.stop(stuck);
            driver.awaitTermination(stuck);
            long terminated = driver.system.metrics().deadLetters(DeadLetterReason.TERMINATED);
            assertThat(handled.get() - 1 + terminated).isEqualTo(16);
        }
    }
}
