package io.zbmd.bench.actors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
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
 * Savina's thread ring: {@value #RING} actors in a ring pass one token {@value #PASSES}
 * times. Score: passes per second (one message in flight: pure hand-off cost).
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ThreadRingBenchmark {
    static final int RING = 100;
    static final int PASSES = 100_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    sealed interface Msg permits Next, Token {}

    record Next(Object next) implements Msg {}

    record Token(int remaining, CompletableFuture<Void> done) implements Msg {}

    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdFirst;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Msg> pekkoFirst;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.LATENCY);
            ActorRef<Msg>[] ring = new ActorRef[RING];
            for (int i = 0; i < RING; i++) {
                ring[i] = Runtimes.spawn(pekko, Behaviors.<Msg>setup(ctx -> {
                    Object[] next = new Object[1];
                    return Behaviors.receiveMessage(msg -> {
                        switch (msg) {
                            case Next n -> next[0] = n.next();
                            case Token t -> {
                                if (t.remaining() == 0) {
                                    t.done().complete(null);
                                } else {
                                    ((ActorRef<Msg>) next[0]).tell(new Token(t.remaining() - 1, t.done()));
                                }
                            }
                        }
                        return Behaviors.same();
                    });
                }));
            }
            for (int i = 0; i < RING; i++) {
                ring[i].tell(new Next(ring[(i + 1) % RING]));
            }
            pekkoFirst = ring[0];
        } else {
            zbmd = Runtimes.zbmd(runtime);
            io.zbmd.actor.ActorRef<Msg>[] ring = new io.zbmd.actor.ActorRef[RING];
            for (int i = 0; i < RING; i++) {
                ring[i] = zbmd.spawn("ring", ctx -> new io.zbmd.actor.Actor<>() {
                    io.zbmd.actor.ActorRef<Msg> next;

                    @Override
                    public void onMessage(Msg msg) {
                        switch (msg) {
                            case Next n -> next = (io.zbmd.actor.ActorRef<Msg>) n.next();
                            case Token t -> {
                                if (t.remaining() == 0) {
                                    t.done().complete(null);
                                } else {
                                    next.tell(new Token(t.remaining() - 1, t.done()));
                                }
                            }
                        }
                    }
                });
            }
            for (int i = 0; i < RING; i++) {
                ring[i].tell(new Next(ring[(i + 1) % RING]));
            }
            zbmdFirst = ring[0];
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
    @OperationsPerInvocation(PASSES)
    public void ring() throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdFirst.tell(new Token(PASSES, done));
        } else {
            pekkoFirst.tell(new Token(PASSES, done));
        }
        Runtimes.await(done, zbmd);
        Runtimes.checkNoneLost(zbmd);
    }
}
