package io.zbmd.bench.actors;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Heap per idle actor: spawn {@value #ACTORS} actors that wait for messages, collect
 * garbage, and divide the growth of the used heap by the number of actors. The score is
 * the time to spawn them; the secondary result {@code bytesPerActor} is the figure that
 * matters. The behaviour instance is shared in both runtimes, as both allow, so the figure
 * is the runtime's own cost per actor (cell, mailbox, bookkeeping).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 1) // JMH sums EVENTS counters over iterations: one keeps bytesPerActor per actor
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
public class IdleActorMemoryBenchmark {
    static final int ACTORS = 1_000_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO})
    public String runtime;

    /** The measurement, reported next to the score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Heap {
        public long bytesPerActor;
    }

    record SpawnMany(int count, Behavior<Object> behavior, ActorRef<Integer> replyTo) {}

    private io.zbmd.actor.ActorSystem zbmd;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<SpawnMany> pekkoSpawner;

    @Setup(Level.Iteration)
    public void setUp() {
        if (runtime.equals(Runtimes.PEKKO)) {
            pekko = Runtimes.pekko();
            pekkoSpawner = Runtimes.spawn(pekko, Behaviors.<SpawnMany>setup(ctx -> Behaviors.receiveMessage(m -> {
                for (int i = 0; i < m.count(); i++) {
                    ctx.spawnAnonymous(m.behavior());
                }
                m.replyTo().tell(m.count());
                return Behaviors.same();
            })));
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD, 1024);
        }
    }

    @TearDown(Level.Iteration)
    public void tearDown() {
        if (zbmd != null) {
            zbmd.close();
            zbmd = null;
        }
        if (pekko != null) {
            Runtimes.close(pekko);
            pekko = null;
        }
    }

    @Benchmark
    public Object spawnIdle(Heap heap) throws Exception {
        long before = usedHeapAfterGc();
        Object keep;
        if (zbmd != null) {
            io.zbmd.actor.ActorFactory<Object> idle = ctx -> m -> {};
            io.zbmd.actor.ActorRef<?>[] refs = new io.zbmd.actor.ActorRef<?>[ACTORS];
            for (int i = 0; i < ACTORS; i++) {
                refs[i] = zbmd.spawn("", idle);
            }
            keep = refs;
        } else {
            Behavior<Object> idle = Behaviors.receiveMessage(m -> Behaviors.same());
            CompletableFuture<Integer> spawned = AskPattern.<SpawnMany, Integer>ask(pekkoSpawner,
                    replyTo -> new SpawnMany(ACTORS, idle, replyTo), Duration.ofMinutes(5), pekko.scheduler())
                    .toCompletableFuture();
            keep = spawned.get(5, TimeUnit.MINUTES);
        }
        long after = usedHeapAfterGc();
        // The zbmd refs array is 4 bytes per actor of the benchmark's own; leave it out.
        long own = zbmd != null ? 16L + 4L * ACTORS : 0;
        heap.bytesPerActor = (after - before - own) / ACTORS;
        return keep;
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
