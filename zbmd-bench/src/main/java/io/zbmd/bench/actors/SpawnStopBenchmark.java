package io.zbmd.bench.actors;

import io.zbmd.actor.Actor;
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
 * Spawn and stop: a parent spawns {@value #CHILDREN} children and stops each right away,
 * then stops itself; the invocation ends when the parent has ended, which in both runtimes
 * means every child has ended first. Score: nanoseconds per child spawned and stopped.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpawnStopBenchmark {
    static final int CHILDREN = 10_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    private io.zbmd.actor.ActorSystem zbmd;
    private ActorSystem<SpawnProtocol.Command> pekko;

    @Setup
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
        } else {
            zbmd = Runtimes.zbmd(runtime);
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
    @OperationsPerInvocation(CHILDREN)
    public Object spawnAndStop() throws Exception {
        if (zbmd != null) {
            io.zbmd.actor.ActorRef<Object> parent = zbmd.spawn("parent", ctx -> new Actor<>() {
                @Override
                public void onStart() {
                    for (int i = 0; i < CHILDREN; i++) {
                        ctx.stop(ctx.spawn("child", c -> m -> {}));
                    }
                    ctx.stopSelf();
                }

                @Override
                public void onMessage(Object message) {}
            });
            Object reason = Runtimes.await(zbmd.terminationOf(parent), zbmd);
            Runtimes.checkNoneLost(zbmd);
            return reason;
        }
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Behavior<Object> child = Behaviors.receiveMessage(m -> Behaviors.same());
        Runtimes.spawn(pekko, Behaviors.<Object>setup(ctx -> {
            for (int i = 0; i < CHILDREN; i++) {
                ActorRef<Object> spawned = ctx.spawnAnonymous(child);
                ctx.stop(spawned);
            }
            return Behaviors.stopped(() -> ended.complete(null));
        }));
        Runtimes.await(ended, null);
        return ended;
    }
}
