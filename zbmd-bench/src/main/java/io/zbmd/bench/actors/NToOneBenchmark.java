package io.zbmd.bench.actors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * N-to-1 contention: {@value #SENDERS} threads outside the actor system (an ingest stage,
 * data loaders) each send {@value #PER_SENDER} messages to one actor at once. Score: messages
 * per second through one contended mailbox (many producers, one consumer).
 *
 * <p>Each runtime at its default mailbox, used as its documentation says for producers
 * outside the system: Pekko's is unbounded and takes every {@code tell}; zbmd's holds 1024
 * messages and the producers use {@code offer(message, timeout)}, which waits for room
 * (back-pressure) instead of losing the message. A message refused or lost fails the run.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class NToOneBenchmark {
    static final int SENDERS = 20;
    static final int PER_SENDER = 100_000;
    static final Duration PUSH_TIMEOUT = Duration.ofMinutes(1);

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    /** The payload: a shared instance. */
    enum Msg {
        ITEM
    }

    private volatile CountDownLatch finished;
    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdReceiver;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Msg> pekkoReceiver;

    @Setup
    public void setUp() {
        long total = (long) SENDERS * PER_SENDER;
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
            pekkoReceiver = Runtimes.spawn(pekko, Behaviors.<Msg>setup(ctx -> {
                long[] count = new long[1];
                return Behaviors.receiveMessage(msg -> {
                    if (++count[0] == total) {
                        count[0] = 0;
                        finished.countDown();
                    }
                    return Behaviors.same();
                });
            }));
        } else {
            zbmd = Runtimes.zbmd(runtime);
            zbmdReceiver = zbmd.spawn("receiver", ctx -> new io.zbmd.actor.Actor<>() {
                long count;

                @Override
                public void onMessage(Msg msg) {
                    if (++count == total) {
                        count = 0;
                        finished.countDown();
                    }
                }
            });
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
    public void contention() throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        finished = latch;
        AtomicLong refused = new AtomicLong();
        List<Thread> senders = new ArrayList<>(SENDERS);
        for (int s = 0; s < SENDERS; s++) {
            senders.add(Thread.ofPlatform().start(() -> send(refused)));
        }
        for (Thread sender : senders) {
            sender.join();
        }
        if (refused.get() != 0) {
            throw new IllegalStateException(refused.get() + " messages refused after waiting " + PUSH_TIMEOUT);
        }
        Runtimes.await(latch, zbmd);
    }

    private void send(AtomicLong refused) {
        try {
            for (int i = 0; i < PER_SENDER; i++) {
                if (zbmd != null) {
                    if (!zbmdReceiver.offer(Msg.ITEM, PUSH_TIMEOUT)) {
                        refused.incrementAndGet();
                    }
                } else {
                    pekkoReceiver.tell(Msg.ITEM);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
