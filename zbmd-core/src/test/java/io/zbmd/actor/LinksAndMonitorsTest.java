package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LinksAndMonitorsTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    /** Runs an action in the actor, with its context. */
    record Do(java.util.function.Consumer<ActorContext<Object>> action) {}

    /** An actor that records its signals and crashes on "crash", stops on "stop". */
    static final class Probe implements Actor<Object> {
        final ActorContext<Object> ctx;
        final List<Signal> signals;
        final boolean trap;
        final List<ActorRef<?>> linkTo;

        Probe(ActorContext<Object> ctx, List<Signal> signals, boolean trap, List<ActorRef<?>> linkTo) {
            this.ctx = ctx;
            this.signals = signals;
            this.trap = trap;
            this.linkTo = linkTo;
        }

        @Override
        public void onStart() {
            ctx.trapExits(trap);
            linkTo.forEach(ctx::link);
        }

        @Override
        public void onMessage(Object message) {
            switch (message) {
                case String s when s.equals("crash") -> throw new IllegalStateException("probe crashed");
                case String s when s.equals("stop") -> ctx.stopSelf();
                case Runnable action -> action.run();
                case Do d -> d.action().accept(ctx);
                default -> {}
            }
        }

        @Override
        public void onSignal(Signal signal) {
            signals.add(signal);
        }
    }

    static ActorRef<Object> probe(ActorSystem system, String name, List<Signal> signals, boolean trap,
            ActorRef<?>... linkTo) {
        return system.spawn(name, ctx -> new Probe(ctx, signals, trap, List.of(linkTo)));
    }

    /** Signals an actor received, with a latch released when the expected number arrived. */
    static final class Signals extends java.util.AbstractList<Signal> {
        private final List<Signal> received = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch expected;

        Signals(int expected) {
            this.expected = new CountDownLatch(expected);
        }

        @Override
        public boolean add(Signal signal) {
            received.add(signal);
            expected.countDown();
            return true;
        }

        @Override
        public Signal get(int index) {
            return received.get(index);
        }

        @Override
        public int size() {
            return received.size();
        }
    }

    static Signals signals() {
        return new Signals(0);
    }

    static Signals signals(int expected) {
        return new Signals(expected);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void anAbnormalExitKillsLinkedActorsThatDoNotTrap(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Object> a = probe(driver.system, "a", signals(), false);
            ActorRef<Object> b = probe(driver.system, "b", signals(), false, a);
            ActorRef<Object> c = probe(driver.system, "c", signals(), false, b);
            CompletableFuture<ExitReason> aEnd = driver.system.terminationOf(a);
            CompletableFuture<ExitReason> cEnd = driver.system.terminationOf(c);
            c.tell("crash");
            ExitReason reason = driver.await(aEnd);
            assertThat(reason).isInstanceOfSatisfying(ExitReason.Crash.class,
                    r -> assertThat(r.cause()).hasMessage("probe crashed"));
            assertThat(driver.awaitTermination(b)).isEqualTo(reason);
            assertThat(driver.await(cEnd)).isEqualTo(reason);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aTrappingActorReceivesTheExitAsASignalAndLives(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Signals trapped = signals(1);
            ActorRef<Object> trapper = probe(driver.system, "trapper", trapped, true);
            ActorRef<Object> crasher = probe(driver.system, "crasher", signals(), false, trapper);
            crasher.tell("crash");
            driver.awaitTermination(crasher);
            driver.await(trapped.expected);
            assertThat(trapped).singleElement().isInstanceOfSatisfying(Signal.Exit.class, exit -> {
                assertThat(exit.from()).isEqualTo(crasher);
                assertThat(exit.reason()).isInstanceOf(ExitReason.Crash.class);
            });
            assertThat(driver.system.metricsOf(trapper).alive()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aNormalExitDoesNotKillLinkedActors(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Signals trapped = signals(1);
            ActorRef<Object> plain = probe(driver.system, "plain", signals(), false);
            ActorRef<Object> trapper = probe(driver.system, "trapper", trapped, true);
            ActorRef<Object> leaver = probe(driver.system, "leaver", signals(), false, plain, trapper);
            CompletableFuture<ExitReason> plainEnd = driver.system.terminationOf(plain);
            leaver.tell("stop");
            assertThat(driver.awaitTermination(leaver)).isEqualTo(ExitReason.NORMAL);
            driver.await(trapped.expected);
            // The exit reached the trapper; the plain actor got the same and stays alive:
            // stop it now and check that it ended because of this stop, not the exit.
            driver.system.stop(plain);
            assertThat(driver.await(plainEnd)).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(trapped).singleElement().isEqualTo(new Signal.Exit(leaver, ExitReason.NORMAL));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void killCannotBeTrappedAndPropagatesAsKilled(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Signals watcherSignals = signals(1);
            ActorRef<Object> victim = probe(driver.system, "victim", signals(), true);
            ActorRef<Object> trappingLink = probe(driver.system, "trapping-link", watcherSignals, true, victim);
            ActorRef<Object> plainLink = probe(driver.system, "plain-link", signals(), false, victim);
            ActorRef<Object> killer = probe(driver.system, "killer", signals(), false);
            CountDownLatch linked = new CountDownLatch(2);
            trappingLink.tell((Runnable) linked::countDown);
            plainLink.tell((Runnable) linked::countDown);
            driver.await(linked);
            killer.tell(new Do(c -> c.exit(victim, ExitReason.KILL)));

            assertThat(driver.awaitTermination(victim)).isEqualTo(ExitReason.KILLED);
            assertThat(driver.awaitTermination(plainLink)).isEqualTo(ExitReason.KILLED);
            driver.await(watcherSignals.expected);
            assertThat(watcherSignals).containsExactly(new Signal.Exit(victim, ExitReason.KILLED));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void exitSignalsFollowOtpRules(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Object> target = probe(driver.system, "target", signals(), false);
            ActorRef<Object> sender = probe(driver.system, "sender", signals(), false);
            CountDownLatch normalSent = new CountDownLatch(1);
            sender.tell(new Do(c -> {
                c.exit(target, ExitReason.NORMAL); // ignored: the target does not trap
                normalSent.countDown();
            }));
            driver.await(normalSent);
            CountDownLatch stillAlive = new CountDownLatch(1);
            target.tell((Runnable) stillAlive::countDown);
            driver.await(stillAlive);
            sender.tell(new Do(c -> c.exit(target, ExitReason.custom("bad input"))));
            assertThat(driver.awaitTermination(target)).isEqualTo(ExitReason.custom("bad input"));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void unlinkRemovesTheEffectOfTheLink(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Object> survivor = probe(driver.system, "survivor", signals(), false);
            ActorRef<Object> crasher = probe(driver.system, "crasher", signals(), false, survivor);
            crasher.tell(new Do(c -> c.unlink(survivor)));
            crasher.tell("crash");
            driver.awaitTermination(crasher);
            CountDownLatch alive = new CountDownLatch(1);
            survivor.tell((Runnable) alive::countDown);
            driver.await(alive);
            assertThat(driver.system.metricsOf(survivor).alive()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aMonitorDeliversDownExactlyOnceEvenForADeadActor(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Signals seen = signals(3);
            ActorRef<Object> watcher = probe(driver.system, "watcher", seen, false);
            ActorRef<Object> target = probe(driver.system, "target", signals(), false);
            CompletableFuture<MonitorRef[]> monitors = new CompletableFuture<>();
            watcher.tell(new Do(c -> monitors.complete(new MonitorRef[] {c.monitor(target), c.monitor(target)})));
            MonitorRef[] live = driver.await(monitors);
            target.tell("crash");
            ExitReason reason = driver.awaitTermination(target);

            CompletableFuture<MonitorRef> late = new CompletableFuture<>();
            watcher.tell(new Do(c -> late.complete(c.monitor(target))));
            MonitorRef afterDeath = driver.await(late);
            driver.await(seen.expected);
            CountDownLatch flushed = new CountDownLatch(1);
            watcher.tell((Runnable) flushed::countDown); // a round trip: no duplicate may follow
            driver.await(flushed);

            assertThat(seen).hasSize(3).allSatisfy(s -> assertThat(s).isInstanceOfSatisfying(Signal.Down.class, down -> {
                assertThat(down.actor()).isEqualTo(target);
                assertThat(down.reason()).isEqualTo(reason);
            }));
            assertThat(seen.stream().map(s -> ((Signal.Down) s).monitor()))
                    .containsExactlyInAnyOrder(live[0], live[1], afterDeath);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void demonitorMeansNoDown(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<Signal> seen = signals();
            ActorRef<Object> watcher = probe(driver.system, "watcher", seen, false);
            ActorRef<Object> target = probe(driver.system, "target", signals(), false);
            CompletableFuture<Boolean> removed = new CompletableFuture<>();
            watcher.tell(new Do(c -> removed.complete(c.demonitor(c.monitor(target)))));
            assertThat(driver.await(removed)).isTrue();
            target.tell("crash");
            driver.awaitTermination(target);
            CountDownLatch after = new CountDownLatch(1);
            watcher.tell((Runnable) after::countDown);
            driver.await(after);
            assertThat(seen).isEmpty();
        }
    }

    /** OTP's signal ordering: a DOWN comes after every message the dead actor sent before. */
    @ParameterizedTest
    @MethodSource("configs")
    void downArrivesAfterTheMessagesTheActorSentBeforeDying(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            int count = 500;
            CompletableFuture<Integer> messagesBeforeDown = new CompletableFuture<>();
            driver.system.spawn(SpawnOptions.named("collector").withMailboxCapacity(1024), ctx -> new Actor<Object>() {
                int received;

                @Override
                public void onStart() {
                    ActorRef<Object> self = ctx.self();
                    ActorRef<String> sender = ctx.spawn("sender", c -> m -> {
                        for (int i = 0; i < count; i++) {
                            self.tell(i);
                        }
                        c.stopSelf();
                    });
                    ctx.monitor(sender);
                    sender.tell("go");
                }

                @Override
                public void onMessage(Object message) {
                    received++;
                }

                @Override
                public void onSignal(Signal signal) {
                    messagesBeforeDown.complete(received);
                }
            });
            assertThat(driver.await(messagesBeforeDown)).isEqualTo(count);
        }
    }
}
