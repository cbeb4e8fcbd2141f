package io.zbmd.bench.actors;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
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
 * Savina's fork-join throughput: {@value #ACTORS} actors each get {@value #PER_ACTOR}
 * messages, sent round-robin from outside; the invocation ends when all have counted
 * theirs. Score: messages per second through the scheduler and many mailboxes at once.
 * (Savina adds a small computation per message; here the handler only counts, so the
 * runtime is what is measured.) The sender is outside the system, so it uses each runtime's
 * API for that at its default mailbox: Pekko's {@code tell} into an unbounded mailbox,
 * zbmd's {@code offer(message, timeout)} into a mailbox of 1024, which waits for room.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ForkJoinThroughputBenchmark {
    static final int ACTORS = 60;
    static final int PER_ACTOR = 10_000;
    static final Duration PUSH_TIMEOUT = Duration.ofMinutes(1);

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    /** The message: one shared instance. */
    enum Work {
        INSTANCE
    }

    private volatile CountDownLatch finished;
    private io.zbmd.actor.ActorSystem zbmd;
    private ActorSystem<SpawnProtocol.Command> pekko;
    @SuppressWarnings("unchecked")
    private final io.zbmd.actor.ActorRef<Work>[] zbmdActors = new io.zbmd.actor.ActorRef[ACTORS];
    @SuppressWarnings("unchecked")
    private final ActorRef<Work>[] pekkoActors = new ActorRef[ACTORS];

    @Setup
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
            for (int i = 0; i < ACTORS; i++) {
                pekkoActors[i] = Runtimes.spawn(pekko, Behaviors.<Work>setup(ctx -> {
                    int[] count = new int[1];
                    return Behaviors.receiveMessage(work -> {
                        if (++count[0] == PER_ACTOR) {
                            count[0] = 0;
                            finished.countDown();
                        }
                        return Behaviors.same();
                    });
                }));
            }
        } else {
            zbmd = Runtimes.zbmd(runtime);
            for (int i = 0; i < ACTORS; i++) {
                zbmdActors[i] = zbmd.spawn("worker",
                        ctx -> new io.zbmd.actor.Actor<>() {
                            int count;

                            @Override
                            public void onMessage(Work work) {
                                if (++count == PER_ACTOR) {
                                    count = 0;
                                    finished.countDown();
                                }
                            }
                        });
            }
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
    @OperationsPerInvocation(ACTORS * PER_ACTOR)
    public void throughput() throws Exception {
        CountDownLatch latch = new CountDownLatch(ACTORS);
        finished = latch;
        if (zbmd != null) {
            for (int m = 0; m < PER_ACTOR; m++) {
                for (io.zbmd.actor.ActorRef<Work> actor : zbmdActors) {
                    if (!actor.offer(Work.INSTANCE, PUSH_TIMEOUT)) {
                        throw new IllegalStateException("refused after waiting " + PUSH_TIMEOUT + Runtimes.deadLetters(zbmd));
                    }
                }
            }
        } else {
            for (int m = 0; m < PER_ACTOR; m++) {
                for (ActorRef<Work> actor : pekkoActors) {
                    actor.tell(Work.INSTANCE);
                }
            }
        }
        Runtimes.await(latch, zbmd);
    }
}
