package io.zbmd.bench.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.bench.actors.Runtimes;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.AllForOneStrategy;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.SupervisorStrategy;
import org.apache.pekko.pattern.Patterns;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One-for-all restart of {@value #CHILDREN} children, driven from inside the system: a driver
 * actor crashes the first child, then pings every child until each has answered from a new
 * incarnation (every incarnation numbers itself when it is made), {@value #CRASHES} times per
 * invocation. Score: time per cycle; the secondary results are the cycles' median and 99th
 * percentile over the measurement iteration.
 *
 * <p>Pekko typed has no one-for-all strategy, so the peer is Pekko classic's
 * {@code AllForOneStrategy} (logging off on both sides), with a classic driver. zbmd stops
 * the others in reverse order and restarts them one by one in start order, as OTP does;
 * Pekko restarts them all at once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport=off",
    "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter=off"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 1, time = 10) // one iteration per fork: its percentiles are the fork's
public class OneForAllBenchmark {
    static final int CHILDREN = 100;
    static final int CRASHES = 20;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    /** Crashes a child. */
    enum Crash {
        INSTANCE
    }

    /** Answered by each child with its index and incarnation. */
    record Ping(Object replyTo) {}

    /** A child's answer. */
    record Pong(int child, long incarnation) {}

    /** Starts an invocation's cycles. */
    record Go(int crashes, CompletableFuture<Void> done) {}

    /** The incarnation each child made last. */
    private final AtomicLongArray incarnations = new AtomicLongArray(CHILDREN);
    private final Latencies latencies = new Latencies();
    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Object> zbmdDriver;
    private ActorSystem pekko;
    private ActorRef pekkoDriver;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() throws Exception {
        if (Runtimes.isPekko(runtime)) {
            pekko = ActorSystem.create("bench", Runtimes.pekkoConfig(runtime, Runtimes.Workload.LATENCY));
            ActorRef parent = pekko.actorOf(Props.create(PekkoParent.class, () -> new PekkoParent(incarnations)));
            List<ActorRef> children = (List<ActorRef>) Patterns.ask(parent, "children", Duration.ofSeconds(10))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            pekkoDriver = pekko.actorOf(Props.create(PekkoDriver.class, () -> new PekkoDriver(new Cycles(latencies), children)));
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD);
            SupervisorSpec spec = SupervisorSpec.oneForAll().withIntensity(Integer.MAX_VALUE, Duration.ofSeconds(1));
            for (int i = 0; i < CHILDREN; i++) {
                int index = i;
                spec = spec.withChild(ChildSpec.worker("child-" + i, () -> {
                    long incarnation = incarnations.incrementAndGet(index);
                    return (Actor<Object>) msg -> {
                        if (msg instanceof Ping ping) {
                            ((io.zbmd.actor.ActorRef<Object>) ping.replyTo()).tell(new Pong(index, incarnation));
                            return;
                        }
                        throw new IllegalStateException("crash");
                    };
                }));
            }
            Supervisor supervisor = Supervisors.start(zbmd, "supervisor", spec);
            List<io.zbmd.actor.ActorRef<Object>> children = new ArrayList<>();
            for (int i = 0; i < CHILDREN; i++) {
                children.add(supervisor.<Object>child("child-" + i).join().orElseThrow());
            }
            Cycles cycles = new Cycles(latencies);
            zbmdDriver = zbmd.spawn("driver", ctx -> msg -> cycles.handle(msg,
                    child -> children.get(child).tell(new Ping(ctx.self())),
                    () -> children.getFirst().tell(Crash.INSTANCE)));
        }
    }

    @Setup(Level.Iteration)
    public void clearLatencies() {
        latencies.clear();
    }

    @TearDown
    public void tearDown() throws Exception {
        if (zbmd != null) {
            zbmd.close();
        }
        if (pekko != null) {
            pekko.terminate();
            pekko.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CRASHES)
    public void restartAllAndAnswerFromNewIncarnations(Latencies.Percentiles percentiles) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdDriver.tell(new Go(CRASHES, done));
        } else {
            pekkoDriver.tell(new Go(CRASHES, done), ActorRef.noSender());
        }
        Runtimes.await(done, null);
        percentiles.update(latencies);
    }

    /**
     * The driver's logic, the same for both runtimes: learn every child's incarnation, then
     * crash the first child and ping all of them, pinging again each child that answers from
     * an incarnation already seen; a cycle ends when all have answered from new ones.
     */
    static final class Cycles {
        private final Latencies latencies;
        private final long[] seen = new long[CHILDREN];
        private final boolean[] renewed = new boolean[CHILDREN];
        private int waiting;
        private int remaining;
        private boolean learning;
        private long started;
        private CompletableFuture<Void> done;

        Cycles(Latencies latencies) {
            this.latencies = latencies;
        }

        void handle(Object msg, IntConsumer ping, Runnable crash) {
            if (msg instanceof Go go) {
                remaining = go.crashes();
                done = go.done();
                learning = true;
                pingAll(ping);
            } else if (msg instanceof Pong pong) {
                answered(pong, ping, crash);
            }
        }

        private void pingAll(IntConsumer ping) {
            java.util.Arrays.fill(renewed, false);
            waiting = CHILDREN;
            for (int child = 0; child < CHILDREN; child++) {
                ping.accept(child);
            }
        }

        private void answered(Pong pong, IntConsumer ping, Runnable crash) {
            int child = pong.child();
            if (renewed[child]) {
                return;
            }
            if (!learning && pong.incarnation() <= seen[child]) {
                ping.accept(child); // an old incarnation answered: its restart is not done yet
                return;
            }
            seen[child] = pong.incarnation();
            renewed[child] = true;
            if (--waiting > 0) {
                return;
            }
            if (learning) {
                learning = false;
            } else {
                latencies.record(System.nanoTime() - started);
                if (--remaining == 0) {
                    done.complete(null);
                    return;
                }
            }
            started = System.nanoTime();
            crash.run();
            pingAll(ping);
        }
    }

    /** A classic parent with an all-for-one strategy over its children. */
    static final class PekkoParent extends AbstractActor {
        private final AtomicLongArray incarnations;
        private final List<ActorRef> children = new ArrayList<>();

        PekkoParent(AtomicLongArray incarnations) {
            this.incarnations = incarnations;
        }

        @Override
        public void preStart() {
            for (int i = 0; i < CHILDREN; i++) {
                int index = i;
                children.add(getContext().actorOf(Props.create(PekkoChild.class, () -> new PekkoChild(index, incarnations))));
            }
        }

        @Override
        public SupervisorStrategy supervisorStrategy() {
            // Unlimited restarts: with a finite window Pekko allows one restart per window.
            return new AllForOneStrategy(-1, scala.concurrent.duration.Duration.Inf(),
                    failure -> SupervisorStrategy.restart(), false);
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().matchEquals("children", m -> getSender().tell(List.copyOf(children), getSelf())).build();
        }
    }

    /** A classic child: answers pings with its incarnation, crashes on request. */
    static final class PekkoChild extends AbstractActor {
        private final int index;
        private final long incarnation;

        PekkoChild(int index, AtomicLongArray incarnations) {
            this.index = index;
            this.incarnation = incarnations.incrementAndGet(index); // a new instance per restart
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder()
                    .match(Ping.class, ping -> ((ActorRef) ping.replyTo()).tell(new Pong(index, incarnation), getSelf()))
                    .matchEquals(Crash.INSTANCE, crash -> {
                        throw new IllegalStateException("crash");
                    })
                    .build();
        }
    }

    /** The classic driver. */
    static final class PekkoDriver extends AbstractActor {
        private final Cycles cycles;
        private final List<ActorRef> children;

        PekkoDriver(Cycles cycles, List<ActorRef> children) {
            this.cycles = cycles;
            this.children = children;
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().matchAny(msg -> cycles.handle(msg,
                    child -> children.get(child).tell(new Ping(getSelf()), getSelf()),
                    () -> children.getFirst().tell(Crash.INSTANCE, getSelf()))).build();
        }
    }
}
