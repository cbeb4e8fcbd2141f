package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ActorLifecycleTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    record Get(ActorRef<Integer> replyTo) {}

    /** Records its name in {@code stops} when it stops; spawns the given children first. */
    static ActorFactory<Object> recorder(String name, List<String> stops, ActorFactory<?>... children) {
        return ctx -> new Actor<>() {
            @Override
            public void onStart() {
                for (int i = 0; i < children.length; i++) {
                    ctx.spawn(name + "-" + i, children[i]);
                }
            }

            @Override
            public void onMessage(Object message) {}

            @Override
            public void onStop(ExitReason reason) {
                stops.add(name);
            }
        };
    }

    @ParameterizedTest
    @MethodSource("configs")
    void closeStopsChildrenBeforeParentsAndJoinsWorkers(ActorSystemConfig config) {
        List<String> stops = Collections.synchronizedList(new ArrayList<>());
        Driver driver = Driver.of(config);
        driver.system.spawn("parent", recorder("parent", stops,
                recorder("child", stops, recorder("grandchild", stops)),
                recorder("sibling", stops)));
        driver.close();

        assertThat(stops).hasSize(4);
        assertThat(stops.indexOf("grandchild")).isLessThan(stops.indexOf("child"));
        assertThat(stops.indexOf("child")).isLessThan(stops.indexOf("parent"));
        assertThat(stops.indexOf("sibling")).isLessThan(stops.indexOf("parent"));
        assertThat(driver.system.whenTerminated()).isDone();
        assertThat(driver.system.metrics().actorsAlive()).isZero();
        Set<String> workers = Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith(config.name() + "-"))
                .collect(Collectors.toSet());
        assertThat(workers).as("worker and timer threads after close").isEmpty();

        driver.close(); // a second close is a no-op
        assertThat(driver.system.isClosed()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aClosedSystemRefusesEverythingAtOnce(ActorSystemConfig config) {
        Driver driver = Driver.of(config);
        ActorRef<Get> counter = driver.system.spawn("counter", ctx -> m -> m.replyTo().tell(1));
        driver.close();

        assertThatThrownBy(() -> driver.system.spawn("late", ctx -> m -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        CompletableFuture<Integer> reply = counter.ask(Get::new, Duration.ofDays(1));
        assertThat(reply).isCompletedExceptionally();
        assertThatThrownBy(reply::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(AskRefusedException.class)
                .hasMessageContaining("has ended");
        long before = driver.system.metrics().deadLetters(DeadLetterReason.TERMINATED);
        counter.tell(new Get(null));
        assertThat(driver.system.metrics().deadLetters(DeadLetterReason.TERMINATED)).isEqualTo(before + 1);
        assertThat(counter.offer(new Get(null))).isFalse();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aChildNeverOutlivesItsParent(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<ActorRef<Object>> childRef = new CompletableFuture<>();
            ActorRef<String> parent = driver.system.spawn("parent", ctx -> {
                childRef.complete(ctx.spawn("child", c -> m -> {}));
                return m -> {
                    throw new IllegalStateException("parent fails on " + m);
                };
            });
            ActorRef<Object> child = childRef.join();
            CompletableFuture<ExitReason> childEnd = driver.system.terminationOf(child);
            parent.tell("boom");

            ExitReason parentReason = driver.awaitTermination(parent);
            assertThat(parentReason).isInstanceOf(ExitReason.Crash.class);
            assertThat(((ExitReason.Crash) parentReason).cause()).hasMessage("parent fails on boom");
            assertThat(childEnd).as("the child ended before the parent finished").isDone();
            assertThat(childEnd.join()).isEqualTo(ExitReason.SHUTDOWN);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void askRepliesAndTimesOutWithAClearMessage(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            AtomicInteger value = new AtomicInteger(7);
            ActorRef<Get> answering = driver.system.spawn("answering", ctx -> m -> m.replyTo().tell(value.get()));
            ActorRef<Get> silent = driver.system.spawn("silent", ctx -> m -> {});

            assertThat(driver.await(answering.ask(Get::new, Duration.ofSeconds(30)))).isEqualTo(7);

            CompletableFuture<Integer> unanswered = silent.ask(Get::new, Duration.ofMillis(50));
            assertThatThrownBy(() -> driver.await(unanswered))
                    .hasRootCauseInstanceOf(AskTimeoutException.class)
                    .rootCause()
                    .hasMessageContaining("no reply from " + silent.path())
                    .hasMessageContaining("Get")
                    .hasMessageContaining("50 ms");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aLateReplyIsADeadLetterAndNothingLeaks(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<ActorRef<Integer>> held = new ArrayList<>();
            ActorRef<Object> hoarder = driver.system.spawn("hoarder", ctx -> m -> {
                if (m instanceof Get get) {
                    held.add(get.replyTo());
                } else {
                    held.forEach(r -> r.tell(1));
                }
            });
            CompletableFuture<Integer> late = hoarder.ask(Get::new, Duration.ofMillis(10));
            assertThatThrownBy(() -> driver.await(late)).hasRootCauseInstanceOf(AskTimeoutException.class);
            CompletableFuture<DeadLetter> deadLetter = new CompletableFuture<>();
            driver.system.events().subscribe(DeadLetter.class, deadLetter::complete);
            hoarder.tell("reply now");
            DeadLetter letter = driver.await(deadLetter);
            assertThat(letter.reason()).isEqualTo(DeadLetterReason.LATE_REPLY);
            assertThat(letter.message()).isEqualTo(1);

            // Answered asks cancel their timeouts: no timer is left behind.
            ActorRef<Get> answering = driver.system.spawn("answering", ctx -> m -> m.replyTo().tell(1));
            for (int i = 0; i < 1000; i++) {
                driver.await(answering.ask(Get::new, Duration.ofDays(1)));
            }
            assertThat(driver.system.metrics().pendingTimers()).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void badInputFailsAtTheCallSiteWithAPreciseMessage(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Get> actor = driver.system.spawn("target", ctx -> m -> {});
            assertThatThrownBy(() -> actor.tell(null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("message must not be null")
                    .hasMessageContaining(actor.path());
            assertThatThrownBy(() -> actor.ask(Get::new, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ask timeout must be positive");
            assertThatThrownBy(() -> actor.ask(r -> null, Duration.ofSeconds(1)))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("request built for ask");
            assertThatThrownBy(() -> driver.system.stop(null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("actor ref must not be null");
            assertThatThrownBy(() -> driver.system.spawn("x", null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("factory");
            ActorRef<Object> factoryReturnsNull = driver.system.spawn("null-actor", ctx -> null);
            assertThat(driver.awaitTermination(factoryReturnsNull))
                    .isInstanceOfSatisfying(ExitReason.Crash.class,
                            c -> assertThat(c.cause()).hasMessageContaining("returned null"));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aCrashIsReportedOnceAndLeavesWorkersAndOthersRunning(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<CrashReport> reports = Collections.synchronizedList(new ArrayList<>());
            driver.system.events().subscribe(CrashReport.class, reports::add);
            Set<Thread> workersBefore = workerThreads(config);
            ActorRef<Get> survivor = driver.system.spawn("survivor", ctx -> m -> m.replyTo().tell(42));

            int crashes = 200;
            List<CompletableFuture<ExitReason>> ends = new ArrayList<>();
            for (int i = 0; i < crashes; i++) {
                ActorRef<String> victim = driver.system.spawn("victim", ctx -> m -> {
                    throw new IllegalArgumentException("bad " + m);
                });
                ends.add(driver.system.terminationOf(victim));
                victim.tell("input");
            }
            for (CompletableFuture<ExitReason> end : ends) {
                assertThat(driver.await(end)).isInstanceOfSatisfying(ExitReason.Crash.class,
                        c -> assertThat(c.cause()).isInstanceOf(IllegalArgumentException.class).hasMessage("bad input"));
            }
            assertThat(reports).hasSize(crashes);
            assertThat(reports).allSatisfy(r -> assertThat(r.message()).isEqualTo("input"));
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.CRASHED)).isEqualTo(crashes);
            assertThat(driver.await(survivor.ask(Get::new, Duration.ofSeconds(30)))).isEqualTo(42);
            if (config.dispatcher() instanceof io.zbmd.dispatch.DispatcherKind.WorkStealing) {
                // (A ForkJoinPool starts and retires its threads as it likes.)
                Set<Thread> workersAfter = workerThreads(config);
                assertThat(workersAfter).hasSize(2).isEqualTo(workersBefore);
                assertThat(workersAfter).allMatch(Thread::isAlive);
            }
        }
    }

    static Set<Thread> workerThreads(ActorSystemConfig config) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(config.name() + "-worker-")
                        || t.getName().startsWith(config.name() + "-fj-"))
                .collect(Collectors.toSet());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void messagesFromOneSenderArriveInOrder(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            int count = 20_000;
            List<Integer> seen = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            ActorRef<Integer> sink = driver.system.spawn(SpawnOptions.named("sink").withMailboxCapacity(1 << 15),
                    ctx -> m -> {
                        seen.add(m);
                        if (seen.size() == count) {
                            done.countDown();
                        }
                    });
            for (int i = 0; i < count; i++) {
                sink.tell(i);
            }
            driver.await(done);
            for (int i = 0; i < count; i++) {
                assertThat(seen.get(i)).isEqualTo(i);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aFailedStartEndsTheActorWithoutOnStop(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            AtomicInteger stops = new AtomicInteger();
            ActorRef<Object> failing = driver.system.spawn("failing", ctx -> new Actor<>() {
                @Override
                public void onStart() {
                    throw new IllegalStateException("no config");
                }

                @Override
                public void onMessage(Object message) {}

                @Override
                public void onStop(ExitReason reason) {
                    stops.incrementAndGet();
                }
            });
            assertThat(driver.awaitTermination(failing)).isInstanceOf(ExitReason.Crash.class);
            assertThat(stops).hasValue(0);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void stopSelfEndsNormallyAfterTheCurrentMessage(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<String> handled = Collections.synchronizedList(new ArrayList<>());
            ActorRef<String> actor = driver.system.spawn(SpawnOptions.named("once"), ctx -> m -> {
                handled.add(m);
                ctx.stopSelf();
            });
            CompletableFuture<ExitReason> end = driver.system.terminationOf(actor);
            actor.tell("first");
            assertThat(driver.await(end)).isEqualTo(ExitReason.NORMAL);
            assertThat(handled).containsExactly("first");
        }
    }
}
