package io.zbmd.bench.actors;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
 * Heap per idle actor that has handled one message: spawn {@value #ACTORS} actors, send each
 * one message, wait until all have handled it, collect garbage, and divide the growth of the
 * used heap by the number of actors. Having handled a message, every actor has its mailbox
 * (zbmd creates it on the first message), so the figure is what an idle actor of a running
 * system costs. The behaviour instance is shared in both runtimes, as both allow, so the
 * figure is the runtime's own cost per actor (cell, mailbox, bookkeeping).
 *
 * <p>The result is the secondary counter {@code bytesPerActor}, one sample per fork; the
 * primary score (the time the whole sample took) is not a comparison and the result table
 * leaves it out. {@code -p messagesEach=0} measures actors never sent a message, a figure to
 * quote only with that label.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 1) // JMH sums EVENTS counters over iterations: one keeps bytesPerActor per actor
@Fork(value = 3, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
public class IdleActorMemoryBenchmark {
    static final int ACTORS = 200_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    /** Messages sent to each actor before measuring: 1, or 0 for never-messaged actors. */
    @Param({"1"})
    public int messagesEach;

    /** The measurement, reported next to the score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Heap {
        public long bytesPerActor;
    }

    record SpawnMany(int count, int messagesEach, Behavior<Object> behavior, ActorRef<Integer> replyTo) {}

    private io.zbmd.actor.ActorSystem zbmd;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<SpawnMany> pekkoSpawner;

    @Setup(Level.Iteration)
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
            pekkoSpawner = Runtimes.spawn(pekko, Behaviors.<SpawnMany>setup(ctx -> Behaviors.receiveMessage(m -> {
                for (int i = 0; i < m.count(); i++) {
                    ActorRef<Object> idle = ctx.spawnAnonymous(m.behavior());
                    for (int j = 0; j < m.messagesEach(); j++) {
                        idle.tell(Boolean.TRUE);
                    }
                }
                m.replyTo().tell(m.count());
                return Behaviors.same();
            })));
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD);
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
        CountDownLatch handled = new CountDownLatch(ACTORS * messagesEach);
        long before = usedHeapAfterGc();
        if (zbmd != null) {
            // Kept alive by the system's root, as Pekko's are by their parent: no array of refs.
            io.zbmd.actor.Actor<Object> shared = m -> handled.countDown();
            io.zbmd.actor.ActorFactory<Object> idle = ctx -> shared;
            for (int i = 0; i < ACTORS; i++) {
                io.zbmd.actor.ActorRef<Object> actor = zbmd.spawn("", idle);
                for (int j = 0; j < messagesEach; j++) {
                    actor.tell(Boolean.TRUE);
                }
            }
        } else {
            Behavior<Object> idle = Behaviors.receiveMessage(m -> {
                handled.countDown();
                return Behaviors.same();
            });
            CompletableFuture<Integer> spawned = AskPattern.<SpawnMany, Integer>ask(pekkoSpawner,
                    replyTo -> new SpawnMany(ACTORS, messagesEach, idle, replyTo), Duration.ofMinutes(5), pekko.scheduler())
                    .toCompletableFuture();
            Runtimes.await(spawned, null);
        }
        Runtimes.await(handled, zbmd);
        long after = usedHeapAfterGc();
        heap.bytesPerActor = (after - before) / ACTORS;
        return handled;
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
