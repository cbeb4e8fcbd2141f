package io.zbmd.bench.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.bench.actors.Runtimes;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Starting a supervisor with {@value #CHILDREN} children, until all have started. zbmd: a
 * one-for-one supervisor from a spec with 10,000 child specs. Pekko typed: a parent that
 * spawns 10,000 children wrapped in {@code Behaviors.supervise(...)}. The tree is stopped
 * after each invocation, outside the measurement.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SupervisorStartBenchmark {
    static final int CHILDREN = 10_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    private io.zbmd.actor.ActorSystem zbmd;
    private SupervisorSpec spec;
    private Supervisor zbmdSupervisor;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Object> pekkoParent;

    @Setup
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD);
            SupervisorSpec built = SupervisorSpec.oneForOne();
            for (int i = 0; i < CHILDREN; i++) {
                built = built.withChild(ChildSpec.worker("child-" + i, () -> (Actor<Object>) msg -> {}));
            }
            spec = built;
        }
    }

    @TearDown(Level.Invocation)
    public void stopTree() {
        if (zbmdSupervisor != null) {
            zbmdSupervisor.stop().join();
            zbmdSupervisor = null;
        }
        if (pekkoParent != null) {
            CompletableFuture<Void> stopped = new CompletableFuture<>();
            pekkoParent.tell(stopped);
            stopped.join();
            pekkoParent = null;
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
    public Object start() {
        if (zbmd != null) {
            zbmdSupervisor = Supervisors.start(zbmd, "supervisor", spec);
            return zbmdSupervisor;
        }
        CompletableFuture<Void> started = new CompletableFuture<>();
        pekkoParent = Runtimes.spawn(pekko, pekkoParent(started));
        started.join();
        return pekkoParent;
    }

    @SuppressWarnings("unchecked")
    static Behavior<Object> pekkoParent(CompletableFuture<Void> started) {
        Behavior<Object> child = Behaviors.supervise(Behaviors.receiveMessage(m -> Behaviors.same()))
                .onFailure(SupervisorStrategy.restart());
        return Behaviors.setup(ctx -> {
            for (int i = 0; i < CHILDREN; i++) {
                ctx.spawn(child, "child-" + i);
            }
            started.complete(null);
            return Behaviors.receiveMessage(m -> {
                CompletableFuture<Void> stopped = (CompletableFuture<Void>) m;
                return Behaviors.stopped(() -> stopped.complete(null));
            });
        });
    }
}
