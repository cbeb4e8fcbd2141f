package io.zbmd.bench.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.bench.actors.Runtimes;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 * Restart latency, driven from inside the system: a driver actor crashes a supervised child,
 * then pings it until the answer comes from the child's new incarnation (every incarnation
 * numbers itself when it is made), {@value #CRASHES} times per invocation. Score: time per
 * crash-to-answer cycle; the secondary results are the cycles' median and 99th percentile
 * over the measurement iteration. zbmd: a one-for-one supervisor, restart in place. Pekko
 * typed: {@code Behaviors.supervise(...).onFailure(SupervisorStrategy.restart())}. Crash
 * logging is off on both sides (a logged stack trace would dominate both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport=off",
    "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter=off"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 1, time = 10) // one iteration per fork: its percentiles are the fork's
public class RestartBenchmark {
    static final int CRASHES = 200;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    sealed interface Msg permits Crash, Ping, Pong, Go {}

    /** Crashes the child. */
    enum Crash implements Msg {
        INSTANCE
    }

    /** Answered by the child with its incarnation. */
    record Ping(Object replyTo) implements Msg {}

    /** The child's answer. */
    record Pong(long incarnation) implements Msg {}

    /** Starts an invocation's cycles. */
    record Go(int crashes, CompletableFuture<Void> done) implements Msg {}

    private final AtomicLong incarnations = new AtomicLong();
    private final Latencies latencies = new Latencies();
    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdDriver;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Msg> pekkoDriver;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.LATENCY);
            ActorRef<Msg> child = Runtimes.spawn(pekko, Behaviors.supervise(Behaviors.<Msg>setup(ctx -> {
                long incarnation = incarnations.incrementAndGet();
                return Behaviors.receiveMessage(msg -> {
                    if (msg instanceof Ping ping) {
                        ((ActorRef<Msg>) ping.replyTo()).tell(new Pong(incarnation));
                        return Behaviors.same();
                    }
                    throw new IllegalStateException("crash");
                });
            })).onFailure(IllegalStateException.class, SupervisorStrategy.restart().withLoggingEnabled(false)));
            pekkoDriver = Runtimes.spawn(pekko, pekkoDriver(child));
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD);
            Supervisor supervisor = Supervisors.start(zbmd, "supervisor", SupervisorSpec.oneForOne()
                    .withIntensity(Integer.MAX_VALUE, Duration.ofSeconds(1))
                    .withChild(ChildSpec.worker("child", () -> {
                        long incarnation = incarnations.incrementAndGet();
                        return (Actor<Msg>) msg -> {
                            if (msg instanceof Ping ping) {
                                ((io.zbmd.actor.ActorRef<Msg>) ping.replyTo()).tell(new Pong(incarnation));
                                return;
                            }
                            throw new IllegalStateException("crash");
                        };
                    })));
            io.zbmd.actor.ActorRef<Msg> child = supervisor.<Msg>child("child").join().orElseThrow();
            zbmdDriver = zbmd.spawn("driver", ctx -> new ZbmdDriver(ctx, child));
        }
    }

    @Setup(Level.Iteration)
    public void clearLatencies() {
        latencies.clear();
    }

    @TearDown
    public void tearDown() {
        if (zbmd != null) {
            zbmd.close();
        }
        if (pekko != null) {
            Runtimes.close(pekko);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CRASHES)
    public void crashRestartAndAnswerFromTheNewIncarnation(Latencies.Percentiles percentiles) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdDriver.tell(new Go(CRASHES, done));
        } else {
            pekkoDriver.tell(new Go(CRASHES, done));
        }
        Runtimes.await(done, null);
        percentiles.update(latencies);
    }

    /**
     * One cycle: crash the child, ping it, and ping again while the answer comes from an
     * incarnation already seen. The next cycle starts when the new incarnation answers.
     */
    private final class Cycles {
        private int remaining;
        private CompletableFuture<Void> done;
        private long lastIncarnation = Long.MIN_VALUE;
        private long started;

        /** Starts an invocation: the first answer only tells the current incarnation. */
        boolean start(Go go) {
            remaining = go.crashes();
            done = go.done();
            lastIncarnation = Long.MIN_VALUE;
            return true;
        }

        /** @return true to ping again, false when the invocation's cycles are over */
        boolean answered(Pong pong, Runnable crashAndPing, Runnable ping) {
            if (pong.incarnation() <= lastIncarnation) {
                ping.run(); // an old incarnation answered: the restart is not done yet
                return true;
            }
            if (lastIncarnation != Long.MIN_VALUE) {
                latencies.record(System.nanoTime() - started);
                remaining--;
            }
            lastIncarnation = pong.incarnation();
            if (remaining == 0) {
                done.complete(null);
                return false;
            }
            started = System.nanoTime();
            crashAndPing.run();
            return true;
        }
    }

    private final class ZbmdDriver implements Actor<Msg> {
        private final ActorContext<Msg> ctx;
        private final io.zbmd.actor.ActorRef<Msg> child;
        private final Cycles cycles = new Cycles();

        ZbmdDriver(ActorContext<Msg> ctx, io.zbmd.actor.ActorRef<Msg> child) {
            this.ctx = ctx;
            this.child = child;
        }

        @Override
        public void onMessage(Msg msg) {
            if (msg instanceof Go go && cycles.start(go)) {
                child.tell(new Ping(ctx.self())); // first learn the current incarnation
            } else if (msg instanceof Pong pong) {
                cycles.answered(pong, () -> {
                    child.tell(Crash.INSTANCE);
                    child.tell(new Ping(ctx.self()));
                }, () -> child.tell(new Ping(ctx.self())));
            }
        }
    }

    private Behavior<Msg> pekkoDriver(ActorRef<Msg> child) {
        return Behaviors.setup(ctx -> {
            Cycles cycles = new Cycles();
            return Behaviors.receiveMessage(msg -> {
                if (msg instanceof Go go && cycles.start(go)) {
                    child.tell(new Ping(ctx.getSelf()));
                } else if (msg instanceof Pong pong) {
                    cycles.answered(pong, () -> {
                        child.tell(Crash.INSTANCE);
                        child.tell(new Ping(ctx.getSelf()));
                    }, () -> child.tell(new Ping(ctx.getSelf())));
                }
                return Behaviors.same();
            });
        });
    }
}
