package io.zbmd.bench.actors;

import io.zbmd.actor.SpawnOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 * N-to-1 contention: {@value #SENDERS} sender actors each send {@value #PER_SENDER}
 * messages to one receiver at once. Score: messages per second through one contended
 * mailbox (many producers, one consumer).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class NToOneBenchmark {
    static final int SENDERS = 20;
    static final int PER_SENDER = 1_000_000;

    @Param({Runtimes.ZBMD, Runtimes.ZBMD_FJ, Runtimes.PEKKO})
    public String runtime;

    /** The payload and the start signal: shared instances. */
    enum Msg {
        ITEM,
        GO
    }

    private volatile CountDownLatch finished;
    private io.zbmd.actor.ActorSystem zbmd;
    private ActorSystem<SpawnProtocol.Command> pekko;
    @SuppressWarnings("unchecked")
    private final io.zbmd.actor.ActorRef<Msg>[] zbmdSenders = new io.zbmd.actor.ActorRef[SENDERS];
    @SuppressWarnings("unchecked")
    private final ActorRef<Msg>[] pekkoSenders = new ActorRef[SENDERS];

    @Setup
    public void setUp() {
        long total = (long) SENDERS * PER_SENDER;
        if (runtime.equals(Runtimes.PEKKO)) {
            pekko = Runtimes.pekko();
            ActorRef<Msg> receiver = Runtimes.spawn(pekko, Behaviors.<Msg>setup(ctx -> {
                long[] count = new long[1];
                return Behaviors.receiveMessage(msg -> {
                    if (++count[0] == total) {
                        count[0] = 0;
                        finished.countDown();
                    }
                    return Behaviors.same();
                });
            }));
            for (int s = 0; s < SENDERS; s++) {
                pekkoSenders[s] = Runtimes.spawn(pekko, Behaviors.<Msg>receiveMessage(msg -> {
                    for (int i = 0; i < PER_SENDER; i++) {
                        receiver.tell(Msg.ITEM);
                    }
                    return Behaviors.same();
                }));
            }
        } else {
            zbmd = Runtimes.zbmd(runtime, 1024);
            // The receiver may fall behind by the whole burst: give it room for all of it.
            io.zbmd.actor.ActorRef<Msg> receiver = zbmd.spawn(SpawnOptions.named("receiver").withMailboxCapacity(1 << 25),
                    ctx -> new io.zbmd.actor.Actor<>() {
                        long count;

                        @Override
                        public void onMessage(Msg msg) {
                            if (++count == total) {
                                count = 0;
                                finished.countDown();
                            }
                        }
                    });
            for (int s = 0; s < SENDERS; s++) {
                zbmdSenders[s] = zbmd.spawn("sender", ctx -> msg -> {
                    for (int i = 0; i < PER_SENDER; i++) {
                        receiver.tell(Msg.ITEM);
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
    @OperationsPerInvocation(SENDERS * PER_SENDER)
    public void contention() throws InterruptedException {
        CountDownLatch latch = new CountDownLatch(1);
        finished = latch;
        for (int s = 0; s < SENDERS; s++) {
            if (zbmd != null) {
                zbmdSenders[s].tell(Msg.GO);
            } else {
                pekkoSenders[s].tell(Msg.GO);
            }
        }
        latch.await();
    }
}
