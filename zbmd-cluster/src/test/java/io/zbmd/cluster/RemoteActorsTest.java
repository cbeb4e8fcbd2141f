package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Actors on two nodes (two actor systems and cluster nodes in this JVM, on loopback): tell and
 * ask with the same API as locally, refs inside messages, order, unregistered types, and
 * links and monitors across nodes, ending with the other node's departure.
 */
class RemoteActorsTest {
    private static final String SECRET = "correct horse battery staple";
    private static final Duration ASK = Duration.ofSeconds(30);
    private static final long HANG_GUARD_SECONDS = 60;

    record Ping(int n, ActorRef<Pong> replyTo) {}

    record Pong(int n, String node) {}

    /** Sends {@code count} numbered messages to {@code to}, then a Ping to {@code replyTo}. */
    record Burst(int count, ActorRef<Object> to) {}

    record Numbered(int n) {}

    /** Not registered. */
    record Secret(String text) {}

    static final MessageTypes TYPES = MessageTypes.builder()
            .register("ping", Ping.class)
            .register("pong", Pong.class)
            .register("burst", Burst.class)
            .register("numbered", Numbered.class)
            .register("text", String.class)
            .build();

    private final List<AutoCloseable> closing = new ArrayList<>();
    private ActorSystem a;
    private ActorSystem b;
    private ClusterNode nodeA;
    private ClusterNode nodeB;

    @BeforeEach
    void start() throws Exception {
        a = ActorSystem.create(ActorSystemConfig.defaults().withName("node-a"));
        closing.add(a);
        b = ActorSystem.create(ActorSystemConfig.defaults().withName("node-b"));
        closing.add(b);
        ClusterConfig config = ClusterConfig.loopback("remote-" + ProcessHandle.current().pid(), SECRET);
        CompletableFuture<ClusterEvent.MembersChanged> two = new CompletableFuture<>();
        closing.add(a.events().subscribe(ClusterEvent.MembersChanged.class, e -> {
            if (e.members().size() == 2) {
                two.complete(e);
            }
        }));
        nodeA = ClusterNode.start(a, config, TYPES);
        closing.add(nodeA);
        nodeB = ClusterNode.start(b, config.withSeeds(List.of(nodeA.endpoint())), TYPES);
        closing.add(nodeB);
        two.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** An actor on node b that answers pings, bursts, and crashes on "crash". */
    private ActorRef<Object> echoOnB() {
        ActorRef<Object> echo = b.spawn("echo", context -> message -> {
            switch (message) {
                case Ping ping -> ping.replyTo().tell(new Pong(ping.n(), b.name()));
                case Burst burst -> {
                    for (int i = 0; i < burst.count(); i++) {
                        burst.to().tell(new Numbered(i));
                    }
                }
                case String s when s.equals("crash") -> throw new IllegalStateException("crashed on purpose");
                case String s when s.equals("stop") -> context.stopSelf();
                default -> {}
            }
        });
        b.registry().register("echo", echo);
        return echo;
    }

    private <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    }

    private ActorRef<Object> lookUpEcho() throws Exception {
        return await(nodeA.<Object>whereis(nodeB.self(), "echo")).orElseThrow();
    }

    @Test
    void askAndTellReachAnActorOnAnotherNodeAndRefsTravelInMessages() throws Exception {
        ActorRef<Object> local = echoOnB();
        ActorRef<Object> remote = lookUpEcho();
        assertThat(remote.address()).isEqualTo(local.address());
        assertThat(await(nodeA.whereis(nodeB.self(), "nobody"))).isEmpty();

        Pong pong = await(remote.<Pong>ask(replyTo -> new Ping(7, replyTo), ASK));
        assertThat(pong).isEqualTo(new Pong(7, "node-b"));

        // A ref of node a inside a message: node b's actor sends 500 messages to it, which come in order.
        List<Integer> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> all = new CompletableFuture<>();
        ActorRef<Object> sink = a.spawn("sink", context -> message -> {
            if (message instanceof Numbered numbered) {
                got.add(numbered.n());
                if (got.size() == 500) {
                    all.complete(null);
                }
            }
        });
        remote.tell(new Burst(500, sink));
        await(all);
        assertThat(got).isSorted().hasSize(500);
        assertThat(nodeA.refusedFrames()).isZero();
        assertThat(nodeB.refusedFrames()).isZero();
    }

    @Test
    void aConsumerThatFallsBehindHoldsBackItsSenderInsteadOfLosingMessages() throws Exception {
        // A mailbox of 4 whose actor is stuck until all 2,000 messages have been sent: the
        // delivering thread waits for room, so nothing is dropped; in order once it goes on.
        int count = 2_000;
        CountDownLatch allSent = new CountDownLatch(1);
        List<Integer> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> all = new CompletableFuture<>();
        ActorRef<Object> slow = b.spawn(io.zbmd.actor.SpawnOptions.named("slow").withMailboxCapacity(4),
                context -> message -> {
                    if (message instanceof Numbered numbered) {
                        if (numbered.n() == 0) {
                            allSent.await();
                        }
                        got.add(numbered.n());
                        if (got.size() == count) {
                            all.complete(null);
                        }
                    }
                });
        b.registry().register("slow", slow);
        closing.add(b.events().subscribe(DeadLetter.class,
                letter -> all.completeExceptionally(new AssertionError("a message was dropped: " + letter))));
        ActorRef<Object> remote = await(nodeA.<Object>whereis(nodeB.self(), "slow")).orElseThrow();

        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < count; i++) {
                remote.tell(new Numbered(i));
            }
        });
        await(sender);
        allSent.countDown();
        await(all);
        assertThat(got).hasSize(count).isSorted();
    }

    @Test
    void aMessageOfAnUnregisteredTypeIsADeadLetterOnTheSenderAndNothingArrives() throws Exception {
        echoOnB();
        ActorRef<Object> remote = lookUpEcho();
        CompletableFuture<DeadLetter> letter = new CompletableFuture<>();
        closing.add(a.events().subscribe(DeadLetter.class, letter::complete));

        assertThat(remote.offer(new Secret("x"))).isFalse();
        DeadLetter dead = await(letter);
        assertThat(dead.reason()).isEqualTo(DeadLetterReason.UNENCODABLE);
        assertThat(dead.message()).isEqualTo(new Secret("x"));
        assertThat(dead.cause()).hasMessageContaining("not registered");
        // The channel still works, in order, after the refusal.
        assertThat(await(remote.<Pong>ask(replyTo -> new Ping(1, replyTo), ASK)).n()).isEqualTo(1);
    }

    /** Watches and links to whatever it is given; records its signals. */
    static final class Watcher implements Actor<Object> {
        private final ActorContext<Object> context;
        private final List<Signal> signals;
        private final CompletableFuture<Void> signalled;
        private final int expected;

        Watcher(ActorContext<Object> context, List<Signal> signals, CompletableFuture<Void> signalled, int expected) {
            this.context = context;
            this.signals = signals;
            this.signalled = signalled;
            this.expected = expected;
            context.trapExits(true);
        }

        record Watch(ActorRef<?> target, boolean link, ActorRef<Object> done) {}

        @Override
        public void onMessage(Object message) {
            if (message instanceof Watch watch) {
                context.monitor(watch.target());
                if (watch.link()) {
                    context.link(watch.target());
                }
                watch.done().tell("watching");
            }
        }

        @Override
        public void onSignal(Signal signal) {
            signals.add(signal);
            if (signals.size() == expected) {
                signalled.complete(null);
            }
        }
    }

    /** A watcher that has linked to and monitors a target, and waits for its two signals. */
    record Watching(ActorRef<Object> watcher, List<Signal> signals, CompletableFuture<Void> signalled) {
        /** Asks the watcher for a round trip: whatever it was sent before has been handled. */
        void roundTrip() throws Exception {
            watcher.ask(done -> new Watcher.Watch(watcher, false, done), ASK).get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** @return a new actor of {@code system} that has linked to and monitors {@code target} */
    static Watching watchAndLink(ActorSystem system, String name, ActorRef<?> target) throws Exception {
        List<Signal> signals = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> signalled = new CompletableFuture<>();
        ActorRef<Object> watcher = system.spawn(name, context -> new Watcher(context, signals, signalled, 2));
        watcher.ask(done -> new Watcher.Watch(target, true, done), ASK).get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        return new Watching(watcher, signals, signalled);
    }

    @Test
    void aRemoteActorsCrashReachesItsLinksAndMonitorsWithItsReason() throws Exception {
        echoOnB();
        ActorRef<Object> remote = lookUpEcho();
        Watching watching = watchAndLink(a, "watcher", remote);

        remote.tell("crash");
        await(watching.signalled());
        List<Signal> signals = watching.signals();
        assertThat(signals).hasSize(2);
        assertThat(signals).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Signal.Down.class, down -> {
            assertThat(down.actor()).isEqualTo(remote);
            assertThat(down.reason()).isInstanceOfSatisfying(ExitReason.Crash.class, crash -> assertThat(
                    crash.cause()).isInstanceOf(RemoteCrashException.class).hasMessageContaining("crashed on purpose"));
        }));
        assertThat(signals).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Signal.Exit.class, exit -> {
            assertThat(exit.from()).isEqualTo(remote);
            assertThat(exit.reason()).isInstanceOf(ExitReason.Crash.class);
        }));
    }

    @Test
    void whenTheOtherNodeLeavesLinksAndMonitorsGetNoconnectionOnce() throws Exception {
        ActorRef<Object> echo = echoOnB();
        ActorRef<Object> remote = lookUpEcho();
        Watching watching = watchAndLink(a, "watcher", remote);

        nodeB.close();
        // On the node that left, the link broke too: the echo actor, not trapping exits, ends.
        assertThat(await(b.terminationOf(echo))).isEqualTo(ClusterNode.NOCONNECTION);
        await(watching.signalled());
        watching.roundTrip();
        List<Signal> signals = watching.signals();
        assertThat(signals).hasSize(2);
        assertThat(signals).anySatisfy(s -> assertThat(s).isEqualTo(new Signal.Exit(remote, ClusterNode.NOCONNECTION)));
        assertThat(signals).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Signal.Down.class,
                down -> assertThat(down.reason()).isEqualTo(ClusterNode.NOCONNECTION)));

        // A monitor or link of an actor on a node that is gone answers noconnection at once.
        Watching late = watchAndLink(a, "late", remote);
        await(late.signalled());
        assertThat(late.signals()).extracting(s -> s instanceof Signal.Down down ? down.reason()
                : ((Signal.Exit) s).reason()).containsOnly(ClusterNode.NOCONNECTION);
    }
}
