package io.zbmd.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.CrashReport;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.IgnoreStart;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.ProcessContext;
import io.zbmd.actor.Signal;
import io.zbmd.actor.Snapshotting;
import io.zbmd.dispatch.DeterministicScheduler;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SupervisorTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    /** Records starts and stops per child id, and what each child handled. */
    static final class Journal {
        final List<String> lifecycle = Collections.synchronizedList(new ArrayList<>() {
            @Override
            public boolean add(String entry) {
                super.add(entry);
                latch(entry).countDown();
                return true;
            }
        });
        private final ConcurrentHashMap<String, CountDownLatch> seen = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, AtomicInteger> starts = new ConcurrentHashMap<>();
        final List<Object> handled = Collections.synchronizedList(new ArrayList<>());

        int starts(String id) {
            return starts.getOrDefault(id, new AtomicInteger()).get();
        }

        /** Released once {@code entry} has been journaled (before or after this call). */
        CountDownLatch latch(String entry) {
            return seen.computeIfAbsent(entry, e -> new CountDownLatch(1));
        }
    }

    record Get(ActorRef<Object> replyTo) {}

    /** A child that journals, crashes on "crash", stops normally on "exit", replies to Get. */
    static ActorFactory<Object> worker(String id, Journal journal) {
        return ctx -> new Actor<>() {
            @Override
            public void onStart() {
                journal.starts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                journal.lifecycle.add("start " + id);
            }

            @Override
            public void onMessage(Object message) {
                switch (message) {
                    case String s when s.equals("crash") -> throw new IllegalStateException(id + " crashed");
                    case String s when s.equals("exit") -> ctx.stopSelf();
                    case Get get -> get.replyTo().tell(id);
                    default -> journal.handled.add(id + ":" + message);
                }
            }

            @Override
            public void onStop(ExitReason reason) {
                journal.lifecycle.add("stop " + id);
            }
        };
    }

    static Supervisor start(Driver driver, SupervisorSpec spec) {
        return Supervisors.start(driver.system, "sup", spec);
    }

    static ActorRef<Object> child(Driver driver, Supervisor supervisor, String id) {
        return driver.await(supervisor.<Object>child(id)).orElseThrow();
    }

    /** Waits until the child answers, i.e. has been restarted and handled what came before. */
    static void roundTrip(Driver driver, ActorRef<Object> child) {
        driver.await(child.ask(Get::new, Duration.ofSeconds(30)));
    }

    static List<SupervisionEvent> events(Driver driver) {
        List<SupervisionEvent> events = Collections.synchronizedList(new ArrayList<>());
        driver.system.events().subscribe(SupervisionEvent.class, events::add);
        return events;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void oneForOneRestartsOnlyTheCrashedChildInPlace(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("b", worker("b", journal)))
                    .withChild(ChildSpec.worker("c", worker("c", journal))));
            ActorRef<Object> b = child(driver, supervisor, "b");
            b.tell("crash");
            b.tell("after the crash"); // queued while b is down: delivered to the next incarnation
            roundTrip(driver, b);

            assertThat(journal.starts("a")).isEqualTo(1);
            assertThat(journal.starts("b")).isEqualTo(2);
            assertThat(journal.starts("c")).isEqualTo(1);
            assertThat(child(driver, supervisor, "b")).as("same ref after the restart").isSameAs(b);
            assertThat(journal.handled).containsExactly("b:after the crash");
            assertThat(events).filteredOn(e -> e instanceof SupervisionEvent.ChildRestarted)
                    .singleElement()
                    .isInstanceOfSatisfying(SupervisionEvent.ChildRestarted.class, e -> {
                        assertThat(e.childId()).isEqualTo("b");
                        assertThat(e.inPlace()).isTrue();
                        assertThat(e.restarts()).isEqualTo(1);
                    });
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.CRASHED)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void oneForAllStopsTheOthersInReverseOrderAndRestartsAllInOrder(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForAll()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("b", worker("b", journal)))
                    .withChild(ChildSpec.worker("c", worker("c", journal))));
            journal.lifecycle.clear();
            ActorRef<Object> b = child(driver, supervisor, "b");
            b.tell("crash");
            roundTrip(driver, b);
            roundTrip(driver, child(driver, supervisor, "a"));
            roundTrip(driver, child(driver, supervisor, "c"));

            assertThat(journal.lifecycle).containsExactly("stop b", "stop c", "stop a", "start a", "start b", "start c");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void restForOneRestartsTheCrashedChildAndTheOnesAfterIt(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.restForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("b", worker("b", journal)))
                    .withChild(ChildSpec.worker("c", worker("c", journal))));
            journal.lifecycle.clear();
            ActorRef<Object> b = child(driver, supervisor, "b");
            b.tell("crash");
            roundTrip(driver, b);
            roundTrip(driver, child(driver, supervisor, "c"));

            assertThat(journal.lifecycle).containsExactly("stop b", "stop c", "start b", "start c");
            assertThat(journal.starts("a")).isEqualTo(1);
        }
    }

    /** Completes with the first event of that type about that child. */
    static <E extends SupervisionEvent> CompletableFuture<E> next(Driver driver, Class<E> type, String childId) {
        CompletableFuture<E> future = new CompletableFuture<>();
        driver.system.events().subscribe(type, event -> {
            String id = switch (event) {
                case SupervisionEvent.ChildRestarted r -> r.childId();
                case SupervisionEvent.ChildStopped r -> r.childId();
                case SupervisionEvent.ChildStarted r -> r.childId();
                case SupervisionEvent.ChildKilled r -> r.childId();
                default -> null;
            };
            if (childId.equals(id)) {
                future.complete(event);
            }
        });
        return future;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void restartTypesDecideWhatComesBack(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(10, Duration.ofSeconds(5))
                    .withChild(ChildSpec.worker("permanent", worker("permanent", journal)))
                    .withChild(ChildSpec.worker("transient", worker("transient", journal))
                            .withRestart(RestartType.TRANSIENT))
                    .withChild(ChildSpec.worker("temporary", worker("temporary", journal))
                            .withRestart(RestartType.TEMPORARY)));
            ActorRef<Object> permanent = child(driver, supervisor, "permanent");
            ActorRef<Object> transientChild = child(driver, supervisor, "transient");
            ActorRef<Object> temporary = child(driver, supervisor, "temporary");

            var permanentBack = next(driver, SupervisionEvent.ChildRestarted.class, "permanent");
            permanent.tell("exit"); // a normal exit: a permanent child comes back (a new actor)
            assertThat(driver.await(permanentBack).inPlace()).isFalse();
            var transientBack = next(driver, SupervisionEvent.ChildRestarted.class, "transient");
            transientChild.tell("crash"); // transient: back after a crash, in place
            assertThat(driver.await(transientBack).inPlace()).isTrue();
            var temporaryGone = next(driver, SupervisionEvent.ChildStopped.class, "temporary");
            temporary.tell("crash"); // temporary: never back
            driver.await(temporaryGone);
            ActorRef<Object> newPermanent = child(driver, supervisor, "permanent");
            assertThat(newPermanent).isNotSameAs(permanent);
            roundTrip(driver, newPermanent);

            var transientGone = next(driver, SupervisionEvent.ChildStopped.class, "transient");
            transientChild.tell("exit"); // transient, normal exit: stays stopped
            driver.await(transientGone);
            List<ChildInfo> infos = driver.await(supervisor.children());
            assertThat(infos).extracting(ChildInfo::id).containsExactly("permanent", "transient");
            assertThat(infos.get(0).running()).isTrue();
            assertThat(infos.get(1).running()).isFalse();
            assertThat(journal.starts("permanent")).isEqualTo(2);
            assertThat(journal.starts("transient")).isEqualTo(2);
            assertThat(journal.starts("temporary")).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void pastItsIntensityASupervisorStopsItsChildrenAndEscalates(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            SupervisorSpec inner = SupervisorSpec.oneForOne().withIntensity(2, Duration.ofHours(1))
                    .withChild(ChildSpec.worker("x", worker("x", journal)))
                    .withChild(ChildSpec.worker("y", worker("y", journal)));
            Supervisor outer = start(driver, SupervisorSpec.oneForOne().withIntensity(5, Duration.ofHours(1))
                    .withChild(ChildSpec.supervisor("inner", inner)));
            ActorRef<?> innerRef = driver.await(outer.child("inner")).orElseThrow();
            CompletableFuture<SupervisionEvent.ChildRestarted> innerRestarted = new CompletableFuture<>();
            driver.system.events().subscribe(SupervisionEvent.ChildRestarted.class, r -> {
                if (r.childId().equals("inner")) {
                    innerRestarted.complete(r);
                }
            });
            CompletableFuture<ExitReason> innerEnd = driver.system.terminationOf(innerRef);
            for (int crash = 1; crash <= 3; crash++) {
                ActorRef<Object> x = awaitChildOf(driver, innerRef, "x");
                x.tell("crash");
                if (crash < 3) {
                    roundTrip(driver, x);
                }
            }
            assertThat(driver.await(innerEnd)).isEqualTo(ExitReason.SHUTDOWN);
            driver.await(innerRestarted);
            ActorRef<?> restartedInner = driver.await(outer.child("inner")).orElseThrow();
            assertThat(restartedInner).isNotSameAs(innerRef);
            roundTrip(driver, awaitChildOf(driver, restartedInner, "x"));

            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(SupervisionEvent.GaveUp.class,
                    g -> assertThat(g.restarts()).isEqualTo(3)));
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(SupervisionEvent.Escalated.class));
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(
                    SupervisionEvent.ChildRestarted.class, r -> {
                        assertThat(r.childId()).isEqualTo("inner");
                        assertThat(r.inPlace()).isFalse();
                    }));
            // x's third crash stopped it; the give-up then stopped y; a fresh inner started x, y.
            int lastCrash = journal.lifecycle.lastIndexOf("stop x");
            assertThat(journal.lifecycle.subList(lastCrash, journal.lifecycle.size()))
                    .containsExactly("stop x", "stop y", "start x", "start y");
        }
    }

    /** The inner supervisor's child, found through a handle on the inner supervisor's ref. */
    @SuppressWarnings("unchecked")
    static ActorRef<Object> awaitChildOf(Driver driver, ActorRef<?> supervisorRef, String id) {
        Supervisor inner = new Supervisor((ActorRef<io.zbmd.supervision.internal.SupervisorCommand>) supervisorRef,
                driver.system, Supervisor.DEFAULT_TIMEOUT);
        return child(driver, inner, id);
    }

    @Test
    void theIntensityWindowSlides() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(3))) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(1, Duration.ofSeconds(5))
                    .withChild(ChildSpec.worker("w", worker("w", journal))));
            ActorRef<Object> w = child(driver, supervisor, "w");
            for (int i = 0; i < 4; i++) {
                w.tell("crash");
                driver.system.deterministic().runUntilIdle();
                driver.system.deterministic().advanceTime(Duration.ofSeconds(6));
            }
            assertThat(events).noneMatch(e -> e instanceof SupervisionEvent.GaveUp);
            assertThat(journal.starts("w")).isEqualTo(5);
            w.tell("crash");
            w.tell("crash"); // two within five seconds: more than 1
            driver.system.deterministic().runUntilIdle();
            assertThat(events).anyMatch(e -> e instanceof SupervisionEvent.GaveUp);
        }
    }

    /** Crashes and messages interleaved: each crash is followed by a message the child handles. */
    static void crashBetweenMessages(ActorRef<Object> child, int crashes) {
        for (int i = 0; i < crashes; i++) {
            child.tell("crash");
            child.tell(i);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void countingOnlyUnrecoveredRestartsNeverGivesUpOnAChildThatWorksBetweenCrashes(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(3, Duration.ofHours(1))
                    .withRestartCounting(RestartCounting.UNRECOVERED)
                    .withChild(ChildSpec.worker("w", worker("w", journal))));
            ActorRef<Object> w = child(driver, supervisor, "w");
            crashBetweenMessages(w, 50);
            roundTrip(driver, w);
            driver.await(supervisor.children()); // after the reports the child sent before its answer

            assertThat(List.copyOf(events)).noneMatch(e -> e instanceof SupervisionEvent.GaveUp);
            assertThat(journal.starts("w")).isEqualTo(51);
            assertThat(journal.handled).hasSize(50).endsWith("w:49");
        }
    }

    @Test
    void theSameCrashesAtOneInstantExceedOtpsCountButNotTheUnrecoveredCount() {
        for (RestartCounting counting : RestartCounting.values()) {
            try (Driver driver = Driver.of(ActorSystemConfig.deterministic(11))) {
                Journal journal = new Journal();
                List<SupervisionEvent> events = events(driver);
                Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(3, Duration.ofSeconds(5))
                        .withRestartCounting(counting)
                        .withChild(ChildSpec.worker("w", worker("w", journal))));
                ActorRef<Object> w = child(driver, supervisor, "w");
                crashBetweenMessages(w, 20);
                driver.system.deterministic().runUntilIdle();

                assertThat(driver.system.deterministic().nanoTime()).as("no virtual time passed").isZero();
                boolean gaveUp = events.stream().anyMatch(e -> e instanceof SupervisionEvent.GaveUp);
                assertThat(gaveUp).as(counting.toString()).isEqualTo(counting == RestartCounting.EVERY_RESTART);
            }
        }
    }

    @Test
    void aChildReplacedAfterAnExitRecoversOnceTheNewActorHandlesAMessage() {
        for (RestartCounting counting : RestartCounting.values()) {
            try (Driver driver = Driver.of(ActorSystemConfig.deterministic(15))) {
                Journal journal = new Journal();
                List<SupervisionEvent> events = events(driver);
                Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(3, Duration.ofSeconds(5))
                        .withRestartCounting(counting)
                        .withChild(ChildSpec.worker("w", worker("w", journal))));
                boolean gaveUp = false;
                for (int i = 0; i < 10 && !gaveUp; i++) {
                    child(driver, supervisor, "w").tell("exit"); // a normal exit: a new actor replaces it
                    driver.system.deterministic().runUntilIdle();
                    gaveUp = events.stream().anyMatch(e -> e instanceof SupervisionEvent.GaveUp);
                    if (!gaveUp) {
                        child(driver, supervisor, "w").tell(i);
                        driver.system.deterministic().runUntilIdle();
                    }
                }
                assertThat(gaveUp).as(counting.toString()).isEqualTo(counting == RestartCounting.EVERY_RESTART);
                if (counting == RestartCounting.UNRECOVERED) {
                    assertThat(journal.starts("w")).isEqualTo(11);
                }
            }
        }
    }

    @Test
    void countingOnlyUnrecoveredRestartsStillStopsARestartLoop() {
        // Crashing on every message: no restart is ever recovered from.
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(12))) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(3, Duration.ofSeconds(5))
                    .withRestartCounting(RestartCounting.UNRECOVERED)
                    .withChild(ChildSpec.worker("w", worker("w", journal))));
            ActorRef<Object> w = child(driver, supervisor, "w");
            for (int i = 0; i < 4; i++) {
                w.tell("crash");
            }
            driver.system.deterministic().runUntilIdle();
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(SupervisionEvent.GaveUp.class,
                    g -> assertThat(g.restarts()).isEqualTo(4)));
        }
        // Failing every start after the first: the child never handles anything.
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(13))) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            ActorFactory<Object> once = ctx -> {
                if (journal.starts("w") > 0) {
                    throw new IllegalStateException("cannot start again");
                }
                return worker("w", journal).create(ctx);
            };
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(3, Duration.ofSeconds(5))
                    .withRestartCounting(RestartCounting.UNRECOVERED)
                    .withChild(ChildSpec.worker("w", once)));
            child(driver, supervisor, "w").tell("crash");
            driver.system.deterministic().runUntilIdle();
            assertThat(events).anyMatch(e -> e instanceof SupervisionEvent.GaveUp);
        }
    }

    @Test
    void aProcessActorRecoversOnceItAsksForTheMessageAfterTheOneItHandled() {
        for (boolean crashesOnEveryMessage : new boolean[] {false, true}) {
            try (Driver driver = Driver.of(ActorSystemConfig.deterministic(14))) {
                List<SupervisionEvent> events = events(driver);
                Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                        .withIntensity(3, Duration.ofSeconds(5))
                        .withRestartCounting(RestartCounting.UNRECOVERED)
                        .withChild(ChildSpec.process("p", ctx -> {
                            while (true) {
                                if (ctx.receive().equals("crash")) {
                                    throw new IllegalStateException("p crashed");
                                }
                            }
                        })));
                ActorRef<Object> p = child(driver, supervisor, "p");
                for (int i = 0; i < 10; i++) {
                    p.tell("crash");
                    if (!crashesOnEveryMessage) {
                        p.tell(i);
                    }
                }
                p.tell("last");
                driver.system.deterministic().runUntilIdle();
                boolean gaveUp = events.stream().anyMatch(e -> e instanceof SupervisionEvent.GaveUp);
                assertThat(gaveUp).as("crashes on every message: " + crashesOnEveryMessage)
                        .isEqualTo(crashesOnEveryMessage);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void childrenStartInOrderAndStopInReverseOrder(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("b", worker("b", journal)))
                    .withChild(ChildSpec.worker("c", worker("c", journal))));
            assertThat(driver.await(supervisor.stop())).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(journal.lifecycle).containsExactly("start a", "start b", "start c", "stop c", "stop b", "stop a");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aChildThatFailsToStartFailsTheSupervisorsStart(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            assertThatThrownBy(() -> start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("broken", ctx -> {
                        throw new IllegalArgumentException("missing config key 'lr'");
                    }))
                    .withChild(ChildSpec.worker("c", worker("c", journal)))))
                    .isInstanceOf(SupervisorStartException.class)
                    .hasMessageContaining("child 'broken' failed to start")
                    .hasMessageContaining("missing config key 'lr'")
                    .satisfies(e -> assertThat(((SupervisorStartException) e).childId()).isEqualTo("broken"));
            // The child that had started is stopped as the supervisor ends; the one after never starts.
            driver.await(journal.latch("stop a"));
            assertThat(journal.starts("c")).isZero();
        }
    }

    @Test
    void aChildThatIgnoresItsShutdownTimeoutIsKilled() throws Exception {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            List<SupervisionEvent> events = events(driver);
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("stubborn", ctx -> m -> {
                        busy.countDown();
                        release.await(); // deaf to everything until released
                    }).withShutdown(Shutdown.timeout(Duration.ofMillis(50)))));
            ActorRef<Object> stubborn = child(driver, supervisor, "stubborn");
            CompletableFuture<SupervisionEvent.ChildKilled> killed = next(driver, SupervisionEvent.ChildKilled.class,
                    "stubborn");
            stubborn.tell("block");
            busy.await();
            CompletableFuture<Boolean> terminated = supervisor.terminateChild("stubborn");
            assertThat(driver.await(killed).timeout()).isEqualTo(Duration.ofMillis(50));
            // A thread cannot be stopped from outside: the kill takes effect when the handler
            // returns, and the supervisor waits for it, so that no two incarnations ever run.
            assertThat(terminated).isNotDone();
            release.countDown();
            assertThat(driver.await(terminated)).isTrue();
            assertThat(driver.awaitTermination(stubborn)).isEqualTo(ExitReason.KILLED);
        }
    }

    @Test
    void anIdleSiblingWhoseStopOutlastsItsShutdownTimeoutIsKilled() {
        // An idle child is stopped on its supervisor's thread (no hand-off), where no timer can
        // fire during its onStop: the supervisor does afterwards what the timer would have done.
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            Journal journal = new Journal();
            AtomicInteger slowStarts = new AtomicInteger();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForAll()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.worker("slow", ctx -> {
                        slowStarts.incrementAndGet();
                        return new Actor<>() {
                            @Override
                            public void onMessage(Object message) {
                                if (message instanceof Get get) {
                                    get.replyTo().tell("slow");
                                }
                            }

                            @Override
                            public void onStop(ExitReason reason) {
                                try {
                                    Thread.sleep(60); // the slowness under test, longer than the 20 ms allowed
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        };
                    }).withShutdown(Shutdown.timeout(Duration.ofMillis(20)))));
            ActorRef<Object> a = child(driver, supervisor, "a");
            ActorRef<Object> slow = child(driver, supervisor, "slow");
            CompletableFuture<SupervisionEvent.ChildKilled> killed = next(driver, SupervisionEvent.ChildKilled.class,
                    "slow");
            a.tell("crash");
            assertThat(driver.await(killed).timeout()).isEqualTo(Duration.ofMillis(20));
            assertThat(driver.awaitTermination(slow)).isEqualTo(ExitReason.KILLED);
            ActorRef<Object> restarted = child(driver, supervisor, "slow");
            assertThat(restarted).isNotSameAs(slow); // killed, so a new cell
            roundTrip(driver, restarted);
            assertThat(slowStarts).hasValue(2);
            driver.await(journal.latch("start a")); // restarted after "slow" was stopped
            assertThat(journal.starts("a")).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void siblingsToBeRestartedTakeNoMoreMessagesOnceTheRestartBegins(long seed) {
        // one_for_all over a, b, c: a crashes; c is stopped first and takes a while (it waits
        // for a child of its own), b after it. A message b gets meanwhile goes to b's next
        // incarnation, never to the doomed one, whatever the scheduling order.
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(seed))) {
            List<String> handledByB = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger bIncarnations = new AtomicInteger();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForAll()
                    .withChild(ChildSpec.worker("a", worker("a", new Journal())))
                    .withChild(ChildSpec.worker("b", ctx -> {
                        int incarnation = bIncarnations.incrementAndGet();
                        return m -> handledByB.add(m + " by incarnation " + incarnation);
                    }))
                    .withChild(ChildSpec.worker("c", ctx -> {
                        ctx.spawn("grandchild", g -> m -> {});
                        return m -> {};
                    })));
            ActorRef<Object> a = child(driver, supervisor, "a");
            ActorRef<Object> b = child(driver, supervisor, "b");
            List<SupervisionEvent> events = events(driver);
            a.tell("crash");
            DeterministicScheduler sim = driver.system.deterministic();
            while (events.stream().noneMatch(e -> e instanceof SupervisionEvent.ChildCrashed crashed
                    && crashed.childId().equals("a"))) {
                assertThat(sim.step()).as("the supervisor hears of the crash").isTrue();
            }
            b.tell("m"); // after the supervisor's turn that began the restart
            sim.runUntilIdle();
            assertThat(handledByB).containsExactly("m by incarnation 2");
        }
    }

    @Test
    void aRetriedMessageDoesNotHoldUpItsSupervisor() throws Exception {
        // A restart may run on the supervisor's thread; the message retried after it runs on
        // the child's own turn, so the supervisor keeps answering while it takes its time.
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            CountDownLatch retrying = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger attempts = new AtomicInteger();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("step", ctx -> m -> {
                        if (attempts.incrementAndGet() == 1) {
                            throw new IllegalStateException("first attempt fails");
                        }
                        retrying.countDown();
                        release.await();
                    }).withRetries(1)));
            ActorRef<Object> step = child(driver, supervisor, "step");
            step.tell("train");
            retrying.await();
            assertThat(driver.await(supervisor.countChildren()).active()).isEqualTo(1);
            release.countDown();
            assertThat(attempts).hasValue(2);
        }
    }

    /** A counter that keeps its value across crashes through snapshots. */
    static final class Counter implements Actor<Object>, Snapshotting<Integer> {
        private int value;

        @Override
        public void onMessage(Object message) {
            switch (message) {
                case Integer n -> value += n;
                case String s when s.equals("crash") -> throw new IllegalStateException("boom");
                case Get get -> get.replyTo().tell(value);
                default -> {}
            }
        }

        @Override
        public Integer snapshot() {
            return value;
        }

        @Override
        public void restore(Integer snapshot) {
            value = snapshot;
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aSnapshotMakesTheRestartResumeWhereTheCrashLeftOff(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(100, Duration.ofSeconds(5))
                    .withChild(ChildSpec.worker("counter", ctx -> new Counter())));
            ActorRef<Object> counter = child(driver, supervisor, "counter");
            int expected = 0;
            for (int i = 1; i <= 100; i++) {
                if (i % 20 == 0) {
                    counter.tell("crash");
                } else {
                    counter.tell(i);
                    expected += i;
                }
            }
            assertThat(driver.await(counter.ask(Get::new, Duration.ofSeconds(30)))).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void retriesHandTheCrashedMessageToTheNextIncarnation(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            AtomicInteger attempts = new AtomicInteger();
            List<DeadLetter> dead = Collections.synchronizedList(new ArrayList<>());
            driver.system.events().subscribe(DeadLetter.class, dead::add);
            Journal journal = new Journal();
            ActorFactory<Object> flaky = ctx -> message -> {
                if (message.equals("flaky") && attempts.incrementAndGet() <= 2) {
                    throw new IllegalStateException("attempt " + attempts.get() + " failed");
                }
                if (message instanceof Get get) {
                    get.replyTo().tell("ok");
                } else {
                    journal.handled.add(message);
                }
            };
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne().withIntensity(10, Duration.ofSeconds(5))
                    .withChild(ChildSpec.worker("twice", flaky).withRetries(2))
                    .withChild(ChildSpec.worker("once", ctx -> m -> {
                        throw new IllegalStateException("always fails on " + m);
                    }).withRetries(1)));
            ActorRef<Object> twice = child(driver, supervisor, "twice");
            twice.tell("flaky");
            roundTrip(driver, twice);
            assertThat(journal.handled).containsExactly("flaky");

            ActorRef<Object> once = child(driver, supervisor, "once");
            CompletableFuture<DeadLetter> letter = new CompletableFuture<>();
            driver.system.events().subscribe(DeadLetter.class, letter::complete);
            once.tell("doomed");
            DeadLetter deadLetter = driver.await(letter);
            assertThat(deadLetter.reason()).isEqualTo(DeadLetterReason.CRASHED);
            assertThat(deadLetter.message()).isEqualTo("doomed");
            assertThat(deadLetter.cause()).hasMessage("always fails on doomed");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void processActorsAreSupervisedLikeActors(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            AtomicInteger runs = new AtomicInteger();
            List<CrashReport> reports = Collections.synchronizedList(new ArrayList<>());
            driver.system.events().subscribe(CrashReport.class, reports::add);
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.process("loader", ctx -> {
                        runs.incrementAndGet();
                        while (true) {
                            Object message = ctx.receive();
                            if (message.equals("crash")) {
                                throw new IllegalStateException("loader crashed");
                            }
                            if (message instanceof Get get) {
                                get.replyTo().tell("alive");
                            }
                        }
                    })));
            ActorRef<Object> loader = child(driver, supervisor, "loader");
            loader.tell("crash");
            assertThat(driver.await(loader.ask(Get::new, Duration.ofSeconds(30)))).isEqualTo("alive");
            assertThat(runs).hasValue(2);
            assertThat(child(driver, supervisor, "loader")).isSameAs(loader);
            assertThat(reports).singleElement().satisfies(r -> {
                assertThat(r.childId()).isEqualTo("loader");
                assertThat(r.supervisor()).isEqualTo(supervisor.ref().path());
                assertThat(r.restarts()).isZero();
            });
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void childrenCanBeListedCountedStartedTerminatedRestartedAndDeleted(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.supervisor("sub", SupervisorSpec.oneForOne())));
            assertThat(driver.await(supervisor.countChildren())).isEqualTo(new ChildCounts(2, 2, 1, 1));

            ActorRef<?> b = driver.await(supervisor.startChild(ChildSpec.worker("b", worker("b", journal))));
            assertThat(driver.await(supervisor.children())).extracting(ChildInfo::id).containsExactly("a", "sub", "b");
            assertRefused(() -> driver.await(supervisor.startChild(ChildSpec.worker("b", worker("b", journal)))),
                    ChildRequestException.Refusal.ALREADY_STARTED);
            assertRefused(() -> driver.await(supervisor.restartChild("b")), ChildRequestException.Refusal.RUNNING);
            assertRefused(() -> driver.await(supervisor.deleteChild("b")), ChildRequestException.Refusal.RUNNING);

            assertThat(driver.await(supervisor.terminateChild("b"))).isTrue();
            assertThat(driver.awaitTermination(b)).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(driver.await(supervisor.countChildren())).isEqualTo(new ChildCounts(3, 2, 1, 2));
            assertRefused(() -> driver.await(supervisor.startChild(ChildSpec.worker("b", worker("b", journal)))),
                    ChildRequestException.Refusal.ALREADY_PRESENT);
            assertThat(driver.await(supervisor.children())).extracting(ChildInfo::status)
                    .containsExactly(ChildStatus.RUNNING, ChildStatus.RUNNING, ChildStatus.NOT_RUNNING);
            ActorRef<?> b2 = driver.await(supervisor.restartChild("b"));
            assertThat(b2).isNotSameAs(b);
            assertThat(driver.await(supervisor.terminateChild("b"))).isTrue();
            assertThat(driver.await(supervisor.deleteChild("b"))).isTrue();
            assertThat(driver.await(supervisor.children())).extracting(ChildInfo::id).containsExactly("a", "sub");
            assertRefused(() -> driver.await(supervisor.terminateChild("nope")), ChildRequestException.Refusal.NOT_FOUND);
            assertRefused(() -> driver.await(supervisor.deleteChild("nope")), ChildRequestException.Refusal.NOT_FOUND);
            assertRefused(() -> driver.await(supervisor.restartChild("nope")), ChildRequestException.Refusal.NOT_FOUND);
        }
    }

    static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            ChildRequestException.Refusal refusal) {
        assertThatThrownBy(call).rootCause().isInstanceOfSatisfying(ChildRequestException.class,
                refused -> assertThat(refused.refusal()).isEqualTo(refusal));
    }

    @Test
    void otpsChildApiAndExitReasonsWorkOnNestedSupervisorsToo() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(21))) {
            Journal journal = new Journal();
            List<SupervisionEvent> events = events(driver);
            Supervisor top = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.supervisor("inner", SupervisorSpec.oneForOne()
                            .withAutoShutdown(AutoShutdown.ANY_SIGNIFICANT)
                            .withChild(ChildSpec.worker("x", worker("x", journal)))
                            .withChild(ChildSpec.worker("s", worker("s", journal)).withRestart(RestartType.TRANSIENT)
                                    .withSignificant(true)))
                            .withRestart(RestartType.TRANSIENT)));
            Supervisor inner = driver.await(top.childSupervisor("inner")).orElseThrow();
            assertThat(driver.await(top.childSupervisor("nope"))).isEmpty();

            // A child that declines to start is kept, not running; its start answers null (OTP's {ok, undefined}).
            ActorFactory<Object> declining = ctx -> {
                throw new IgnoreStart("not today");
            };
            assertThat(driver.await(inner.startChild(ChildSpec.worker("lazy", declining)))).isNull();
            assertThat(driver.await(inner.children())).extracting(ChildInfo::id, ChildInfo::status).containsExactly(
                    org.assertj.core.api.Assertions.tuple("x", ChildStatus.RUNNING),
                    org.assertj.core.api.Assertions.tuple("s", ChildStatus.RUNNING),
                    org.assertj.core.api.Assertions.tuple("lazy", ChildStatus.NOT_RUNNING));

            // {shutdown, Term} from outside: not a failure, so the transient significant child is not
            // restarted, and ANY_SIGNIFICANT ends the inner supervisor, which is transient too.
            ActorRef<Object> s = driver.await(inner.<Object>child("s")).orElseThrow();
            CompletableFuture<ExitReason> innerEnded = driver.system.terminationOf(inner.ref());
            driver.system.exit(s, ExitReason.shutdown("done"));
            assertThat(driver.await(innerEnded)).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(driver.awaitTermination(s)).isEqualTo(ExitReason.shutdown("done"));
            assertThat(journal.lifecycle).containsSubsequence("stop s", "stop x");
            assertThat(driver.await(top.children())).singleElement()
                    .satisfies(c -> assertThat(c.status()).isEqualTo(ChildStatus.NOT_RUNNING));
            assertThat(List.copyOf(events)).noneMatch(e -> e instanceof SupervisionEvent.ChildCrashed);
        }
    }

    @Test
    void aWorkerRestartedAsOtpDoesGetsANewRefAndItsQueuedMessagesBecomeDeadLetters() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(22))) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("w", worker("w", journal)).withInPlaceRestart(false)));
            ActorRef<Object> first = child(driver, supervisor, "w");
            first.tell("crash");
            first.tell("lost");
            driver.system.deterministic().runUntilIdle();
            ActorRef<Object> second = child(driver, supervisor, "w");
            assertThat(second).isNotSameAs(first);
            assertThat(journal.handled).isEmpty();
            assertThat(journal.starts("w")).isEqualTo(2);
        }
    }

    @Test
    void aSignificantChildNeedsAnAutoShutdownAndMustNotBePermanent() {
        ChildSpec significant = ChildSpec.worker("s", ctx -> m -> {}).withSignificant(true);
        assertThatThrownBy(() -> SupervisorSpec.oneForOne().withChild(significant))
                .hasMessageContaining("significant and permanent");
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(23))) {
            assertThatThrownBy(() -> start(driver, SupervisorSpec.oneForOne()
                    .withChild(significant.withRestart(RestartType.TRANSIENT))))
                    .isInstanceOf(SupervisorStartException.class)
                    .hasMessageContaining("auto shutdown is NEVER");
        }
    }

    /** A process child that traps exits and says what it was told, then does or does not end. */
    static ProcessActor<Object> trapping(boolean endsWhenTold, List<Object> told, List<ExitReason> ends,
            CompletableFuture<Void> trapping) {
        return new ProcessActor<>() {
            @Override
            public void run(ProcessContext<Object> ctx) {
                ctx.trapExits(true);
                trapping.complete(null);
                while (true) {
                    Object signal = ctx.receiveAny(o -> o instanceof Signal.Exit, Duration.ofDays(1)).orElseThrow();
                    told.add(signal);
                    if (endsWhenTold) {
                        ctx.exit(((Signal.Exit) signal).reason());
                    }
                }
            }

            @Override
            public void onStop(ExitReason reason) {
                ends.add(reason);
            }
        };
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aProcessChildThatTrapsExitsIsToldToShutDownAndEndsOrIsKilledAfterItsTimeout(ActorSystemConfig config) {
        for (boolean obeys : new boolean[] {true, false}) {
            try (Driver driver = Driver.of(config)) {
                List<Object> told = Collections.synchronizedList(new ArrayList<>());
                List<ExitReason> ends = Collections.synchronizedList(new ArrayList<>());
                CompletableFuture<Void> trapping = new CompletableFuture<>();
                Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                        .withChild(ChildSpec.process("p", trapping(obeys, told, ends, trapping))
                                .withShutdown(Shutdown.timeout(Duration.ofMillis(100)))));
                ActorRef<Object> p = child(driver, supervisor, "p");
                driver.await(trapping); // its run begins after its init, which is all the supervisor's start waits for
                CompletableFuture<ExitReason> ended = driver.system.terminationOf(p);
                assertThat(driver.await(supervisor.terminateChild("p"))).isTrue();

                assertThat(driver.await(ended)).isEqualTo(obeys ? ExitReason.SHUTDOWN : ExitReason.KILLED);
                assertThat(List.copyOf(told)).singleElement().isEqualTo(new Signal.Exit(supervisor.ref(),
                        ExitReason.SHUTDOWN));
                assertThat(List.copyOf(ends)).containsExactly(obeys ? ExitReason.SHUTDOWN : ExitReason.KILLED);
            }
        }
    }

    /**
     * A process child whose init journals "init id" on each start, but fails on the attempts
     * in {@code failing} and declines on those in {@code declining}; its body crashes on
     * "crash" and journals "stop id" when it ends.
     */
    static ProcessActor<Object> initialising(String id, Journal journal, Set<Integer> failing,
            Set<Integer> declining) {
        AtomicInteger attempts = new AtomicInteger();
        return new ProcessActor<>() {
            @Override
            public void init(ProcessContext<Object> ctx) {
                int attempt = attempts.incrementAndGet();
                if (failing.contains(attempt)) {
                    throw new IllegalStateException("init " + attempt + " of " + id + " fails");
                }
                if (declining.contains(attempt)) {
                    throw new IgnoreStart("init " + attempt + " of " + id + " declines");
                }
                journal.lifecycle.add("init " + id);
            }

            @Override
            public void run(ProcessContext<Object> ctx) {
                while (true) {
                    Object message = ctx.receive();
                    if (message.equals("crash")) {
                        throw new IllegalStateException(id + " crashed");
                    }
                    if (message instanceof Get get) {
                        get.replyTo().tell(id);
                    }
                }
            }

            @Override
            public void onStop(ExitReason reason) {
                journal.lifecycle.add("stop " + id);
            }
        };
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aSupervisorStartsTheNextChildOnceAProcessChildsInitHasReturned(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.process("p", initialising("p", journal, Set.of(), Set.of())))
                    .withChild(ChildSpec.worker("w", worker("w", journal))));
            assertThat(List.copyOf(journal.lifecycle)).containsExactly("init p", "start w");

            ActorRef<Object> p = child(driver, supervisor, "p");
            p.tell("crash");
            roundTrip(driver, p); // answered by its next incarnation, after its init ran again
            assertThat(List.copyOf(journal.lifecycle)).containsExactly("init p", "start w", "stop p", "init p");
        }
    }

    @Test
    void aProcessChildWhoseInitFailsFailsTheStartAndOneThatDeclinesIsKeptNotRunning() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(31))) {
            Journal journal = new Journal();
            assertThatThrownBy(() -> start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", worker("a", journal)))
                    .withChild(ChildSpec.process("p", initialising("p", journal, Set.of(1), Set.of())))
                    .withChild(ChildSpec.worker("c", worker("c", journal)))))
                    .isInstanceOf(SupervisorStartException.class)
                    .hasMessageContaining("child 'p' failed to start")
                    .hasMessageContaining("init 1 of p fails");
            // As OTP: what started is stopped, the failed child gets no stop, the rest never starts.
            assertThat(List.copyOf(journal.lifecycle)).containsExactly("start a", "stop a");
        }
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(32))) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.process("p", initialising("p", journal, Set.of(), Set.of(1)))));
            assertThat(driver.await(supervisor.children())).singleElement()
                    .extracting(ChildInfo::status).isEqualTo(ChildStatus.NOT_RUNNING);
            assertThat(driver.await(supervisor.startChild(ChildSpec.process("q",
                    initialising("q", journal, Set.of(), Set.of(1)))))).as("ignored: OTP's {ok, undefined}").isNull();
            assertThat(driver.await(supervisor.restartChild("p"))).isNotNull(); // its second init starts it
            assertThat(List.copyOf(journal.lifecycle)).containsExactly("init p");
        }
    }

    @Test
    void restartChildAnswersAStartThatDeclinesAfterAnEarlierStartFailed() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(33))) {
            Journal journal = new Journal();
            AtomicInteger starts = new AtomicInteger();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("a", ctx -> {
                        if (starts.incrementAndGet() == 2) {
                            throw new IgnoreStart("a declines its second start");
                        }
                        return worker("a", journal).create(ctx);
                    })));
            assertThatThrownBy(() -> driver.await(supervisor.startChild(ChildSpec.worker("f", ctx -> {
                throw new IllegalStateException("f cannot start");
            })))).cause().isInstanceOf(ChildStartException.class);
            assertThat(driver.await(supervisor.terminateChild("a"))).isTrue();
            assertThat(driver.await(supervisor.restartChild("a"))).isNull();
        }
    }

    @Test
    void aDynamicSupervisorStopsItsChildrenAtOnceUnderOneShutdownTimeout() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(34))) {
            List<ExitReason> ends = Collections.synchronizedList(new ArrayList<>());
            DynamicSupervisor<String, Object> stubborn = Supervisors.startDynamic(driver.system, "stubborn",
                    DynamicSupervisorSpec.<String, Object>ofProcess("s", name -> new ProcessActor<>() {
                        @Override
                        public void init(ProcessContext<Object> ctx) {
                            ctx.trapExits(true); // and never looks at the exit signals
                        }

                        @Override
                        public void run(ProcessContext<Object> ctx) {
                            while (true) {
                                ctx.receive();
                            }
                        }

                        @Override
                        public void onStop(ExitReason reason) {
                            ends.add(reason);
                        }
                    }).withShutdown(Shutdown.timeout(Duration.ofSeconds(1))));
            for (String name : List.of("x", "y", "z")) {
                driver.await(stubborn.startChild(name));
            }
            long before = driver.system.deterministic().nanoTime();
            assertThat(driver.await(stubborn.stop())).isEqualTo(ExitReason.SHUTDOWN);
            // OTP's simple_one_for_one: every child told at once, one timer, then the kills;
            // one after the other would have taken 3 s.
            assertThat(driver.system.deterministic().nanoTime() - before).isEqualTo(Duration.ofSeconds(1).toNanos());
            assertThat(List.copyOf(ends)).containsExactly(ExitReason.KILLED, ExitReason.KILLED, ExitReason.KILLED);
        }
    }

    record Job(String name) {}

    @ParameterizedTest
    @MethodSource("configs")
    void aDynamicSupervisorStartsChildrenFromATemplate(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<String> started = Collections.synchronizedList(new ArrayList<>());
            DynamicSupervisor<Job, Object> jobs = Supervisors.startDynamic(driver.system, "jobs",
                    DynamicSupervisorSpec.<Job, Object>of("job", (ctx, job) -> new Actor<>() {
                        @Override
                        public void onStart() {
                            started.add(job.name());
                        }

                        @Override
                        public void onMessage(Object message) {
                            if (message.equals("crash")) {
                                throw new IllegalStateException(job.name() + " failed");
                            }
                            if (message instanceof Get get) {
                                get.replyTo().tell(job.name());
                            }
                        }
                    }).withIntensity(10, Duration.ofSeconds(5)).withMaxChildren(2));
            ActorRef<Object> first = driver.await(jobs.startChild(new Job("first")));
            ActorRef<Object> second = driver.await(jobs.startChild(new Job("second")));
            assertThatThrownBy(() -> driver.await(jobs.startChild(new Job("third"))))
                    .rootCause().hasMessageContaining("maxChildren");
            first.tell("crash");
            assertThat(driver.await(first.ask(Get::new, Duration.ofSeconds(30)))).isEqualTo("first");
            assertThat(started).containsExactly("first", "second", "first");
            assertThat(driver.await(jobs.terminateChild(second))).isTrue();
            assertThat(driver.await(jobs.children())).extracting(ChildInfo::id).containsExactly("job-1");
        }
    }

    @Test
    void badSpecificationsFailWithPreciseMessages() {
        assertThatThrownBy(() -> SupervisorSpec.oneForOne()
                .withChild(ChildSpec.worker("w", ctx -> m -> {}))
                .withChild(ChildSpec.worker("w", ctx -> m -> {})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate child id 'w'");
        assertThatThrownBy(() -> SupervisorSpec.oneForOne().withIntensity(-1, Duration.ofSeconds(5)))
                .hasMessageContaining("SupervisorSpec.intensity must not be negative, got -1");
        assertThatThrownBy(() -> SupervisorSpec.oneForOne().withIntensity(1, Duration.ZERO))
                .hasMessageContaining("SupervisorSpec.period must be positive");
        assertThatThrownBy(() -> ChildSpec.worker("w", (ActorFactory<Object>) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ChildSpec factory must not be null");
        assertThatThrownBy(() -> ChildSpec.worker("w", ctx -> m -> {}).withRetries(-2))
                .hasMessageContaining("ChildSpec.retries of child 'w' must not be negative");
        assertThatThrownBy(() -> Shutdown.timeout(Duration.ZERO)).hasMessageContaining("Shutdown.timeout must be positive");
    }

    @ParameterizedTest
    @MethodSource("configs")
    void startingAChildOnAStoppedSupervisorFailsClearly(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne());
            driver.await(supervisor.stop());
            assertThatThrownBy(() -> driver.await(supervisor.startChild(ChildSpec.worker("late", ctx -> m -> {}))))
                    .cause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("supervisor " + supervisor.ref().path() + " has ended: cannot start child 'late'")
                    .cause()
                    .isInstanceOf(io.zbmd.actor.AskRefusedException.class);
        }
    }

    @Test
    void backoffDelaysRestartsOnTheVirtualClock() {
        try (Driver driver = Driver.of(ActorSystemConfig.deterministic(9))) {
            Journal journal = new Journal();
            Supervisor supervisor = start(driver, SupervisorSpec.oneForOne()
                    .withIntensity(10, Duration.ofSeconds(60))
                    .withBackoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1), 0))
                    .withChild(ChildSpec.worker("w", worker("w", journal))));
            ActorRef<Object> w = child(driver, supervisor, "w");
            w.tell("crash");
            driver.system.deterministic().advanceTime(Duration.ofMillis(99));
            assertThat(journal.starts("w")).isEqualTo(1);
            driver.system.deterministic().advanceTime(Duration.ofMillis(1));
            assertThat(journal.starts("w")).isEqualTo(2);
            w.tell("crash"); // the second in a row waits twice as long
            driver.system.deterministic().advanceTime(Duration.ofMillis(199));
            assertThat(journal.starts("w")).isEqualTo(2);
            driver.system.deterministic().advanceTime(Duration.ofMillis(1));
            assertThat(journal.starts("w")).isEqualTo(3);
        }
    }
}
