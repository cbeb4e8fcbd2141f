package io.zbmd.bench.actors;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Round-trip latency: a pinger and a ponger bat a ball {@value #ROUND_TRIPS} times per
 * invocation; the score is nanoseconds per round trip (two messages).
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PingPongBenchmark {
    static final int ROUND_TRIPS = 100_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    /** Starts a rally of {@code roundTrips}, completing {@code done}. */
    record Serve(int roundTrips, CompletableFuture<Void> done) implements Msg, PekkoMsg {}

    /** The ball: {@code remaining} round trips to go. */
    record Ball(int remaining, Object from) implements Msg, PekkoMsg {}

    sealed interface Msg permits Serve, Ball {}

    sealed interface PekkoMsg permits Serve, Ball {}

    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdPinger;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<PekkoMsg> pekkoPinger;

    @Setup
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.LATENCY);
            ActorRef<PekkoMsg> ponger = Runtimes.spawn(pekko, pekkoPonger());
            pekkoPinger = Runtimes.spawn(pekko, pekkoPinger(ponger));
        } else {
            zbmd = Runtimes.zbmd(runtime);
            io.zbmd.actor.ActorRef<Msg> ponger = zbmd.spawn("ponger", ctx -> msg -> {
                Ball ball = (Ball) msg;
                @SuppressWarnings("unchecked")
                io.zbmd.actor.ActorRef<Msg> from = (io.zbmd.actor.ActorRef<Msg>) ball.from();
                from.tell(new Ball(ball.remaining(), ctx.self()));
            });
            zbmdPinger = zbmd.spawn("pinger", ctx -> new ZbmdPinger(ctx, ponger));
        }
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
    @OperationsPerInvocation(ROUND_TRIPS)
    public void roundTrip() throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdPinger.tell(new Serve(ROUND_TRIPS, done));
        } else {
            pekkoPinger.tell(new Serve(ROUND_TRIPS, done));
        }
        Runtimes.await(done, zbmd);
        Runtimes.checkNoneLost(zbmd);
    }

    static final class ZbmdPinger implements Actor<Msg> {
        private final ActorContext<Msg> ctx;
        private final io.zbmd.actor.ActorRef<Msg> ponger;
        private CompletableFuture<Void> done;

        ZbmdPinger(ActorContext<Msg> ctx, io.zbmd.actor.ActorRef<Msg> ponger) {
            this.ctx = ctx;
            this.ponger = ponger;
        }

        @Override
        public void onMessage(Msg message) {
            switch (message) {
                case Serve serve -> {
                    done = serve.done();
                    ponger.tell(new Ball(serve.roundTrips(), ctx.self()));
                }
                case Ball ball -> {
                    if (ball.remaining() == 1) {
                        done.complete(null);
                    } else {
                        ponger.tell(new Ball(ball.remaining() - 1, ctx.self()));
                    }
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Behavior<PekkoMsg> pekkoPonger() {
        return Behaviors.setup(ctx -> Behaviors.receiveMessage(msg -> {
            Ball ball = (Ball) msg;
            ((ActorRef<PekkoMsg>) ball.from()).tell(new Ball(ball.remaining(), ctx.getSelf()));
            return Behaviors.same();
        }));
    }

    static Behavior<PekkoMsg> pekkoPinger(ActorRef<PekkoMsg> ponger) {
        return Behaviors.setup(ctx -> {
            CompletableFuture<?>[] done = new CompletableFuture<?>[1];
            return Behaviors.receiveMessage(msg -> {
                switch (msg) {
                    case Serve serve -> {
                        done[0] = serve.done();
                        ponger.tell(new Ball(serve.roundTrips(), ctx.getSelf()));
                    }
                    case Ball ball -> {
                        if (ball.remaining() == 1) {
                            done[0].complete(null);
                        } else {
                            ponger.tell(new Ball(ball.remaining() - 1, ctx.getSelf()));
                        }
                    }
                }
                return Behaviors.same();
            });
        });
    }
}
