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
 * Savina's counting actor: a producer actor sends {@value #MESSAGES} increments to a counter
 * actor, then asks for the total. Score: messages per second (one sender, one receiver:
 * the mailbox's single-producer path and the handler loop). Every runtime at its default
 * mailbox: zbmd's holds 1024 messages, so a counter that falls behind loses increments as
 * dead letters, and a run that loses any fails instead of reporting a score.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CountingBenchmark {
    static final int MESSAGES = 1_000_000;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    sealed interface Msg permits Increment, Retrieve, Total, Go {}

    /** One increment; a single shared instance, so the benchmark does not measure allocation. */
    enum Increment implements Msg {
        INSTANCE
    }

    record Retrieve(Object replyTo) implements Msg {}

    record Total(long value) implements Msg {}

    record Go(int messages, CompletableFuture<Long> done) implements Msg {}

    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdProducer;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Msg> pekkoProducer;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        if (Runtimes.isPekko(runtime)) {
            pekko = Runtimes.pekko(runtime, Runtimes.Workload.THROUGHPUT);
            ActorRef<Msg> counter = Runtimes.spawn(pekko, Behaviors.<Msg>setup(ctx -> {
                long[] count = new long[1];
                return Behaviors.receiveMessage(msg -> {
                    if (msg == Increment.INSTANCE) {
                        count[0]++;
                    } else if (msg instanceof Retrieve retrieve) {
                        ((ActorRef<Msg>) retrieve.replyTo()).tell(new Total(count[0]));
                        count[0] = 0;
                    }
                    return Behaviors.same();
                });
            }));
            pekkoProducer = Runtimes.spawn(pekko, Behaviors.<Msg>setup(ctx -> {
                CompletableFuture<Long>[] done = new CompletableFuture[1];
                return Behaviors.receiveMessage(msg -> {
                    if (msg instanceof Go go) {
                        done[0] = go.done();
                        for (int i = 0; i < go.messages(); i++) {
                            counter.tell(Increment.INSTANCE);
                        }
                        counter.tell(new Retrieve(ctx.getSelf()));
                    } else if (msg instanceof Total total) {
                        done[0].complete(total.value());
                    }
                    return Behaviors.same();
                });
            }));
        } else {
            zbmd = Runtimes.zbmd(runtime);
            // At the default mailbox capacity (1024): the counter must keep up with the burst,
            // running beside the producer on the other worker, or the run fails (see count()).
            io.zbmd.actor.ActorRef<Msg> counter = zbmd.spawn("counter",
                    ctx -> new io.zbmd.actor.Actor<>() {
                        long count;

                        @Override
                        public void onMessage(Msg msg) {
                            if (msg == Increment.INSTANCE) {
                                count++;
                            } else if (msg instanceof Retrieve retrieve) {
                                ((io.zbmd.actor.ActorRef<Msg>) retrieve.replyTo()).tell(new Total(count));
                                count = 0;
                            }
                        }
                    });
            zbmdProducer = zbmd.spawn("producer", ctx -> new io.zbmd.actor.Actor<>() {
                CompletableFuture<Long> done;

                @Override
                public void onMessage(Msg msg) {
                    if (msg instanceof Go go) {
                        done = go.done();
                        for (int i = 0; i < go.messages(); i++) {
                            counter.tell(Increment.INSTANCE);
                        }
                        counter.tell(new Retrieve(ctx.self()));
                    } else if (msg instanceof Total total) {
                        done.complete(total.value());
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
    @OperationsPerInvocation(MESSAGES)
    public long count() throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdProducer.tell(new Go(MESSAGES, done));
        } else {
            pekkoProducer.tell(new Go(MESSAGES, done));
        }
        long total = Runtimes.await(done, zbmd);
        if (total != MESSAGES) {
            throw new IllegalStateException("counted " + total + " of " + MESSAGES + Runtimes.deadLetters(zbmd));
        }
        Runtimes.checkNoneLost(zbmd);
        return total;
    }
}
