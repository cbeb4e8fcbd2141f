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
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 * Skynet: 1,111,111 actors in a 10-ary tree, six levels deep; every leaf reports its
 * number, every inner actor sums its ten children's reports, reports up and stops. The
 * root's sum must be 499,999,500,000. Score: milliseconds per tree (spawning, messaging
 * and stopping a million actors).
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class SkynetBenchmark {
    static final long LEAVES = 1_000_000;
    static final long EXPECTED_SUM = 499_999_500_000L;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO, Runtimes.PEKKO_TUNED})
    public String runtime;

    sealed interface Msg permits Start, Result {}

    /** Spawn the subtree for numbers {@code [offset, offset + size)}. */
    record Start(long offset, long size, Object parent) implements Msg {}

    record Result(long sum) implements Msg {}

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
    public long skynet() throws Exception {
        CompletableFuture<Long> sum = new CompletableFuture<>();
        if (zbmd != null) {
            io.zbmd.actor.ActorRef<Msg> collector = zbmd.spawn("collector", ctx -> msg -> {
                sum.complete(((Result) msg).sum());
                ctx.stopSelf();
            });
            zbmd.<Msg>spawn("skynet", ZbmdNode::new).tell(new Start(0, LEAVES, collector));
        } else {
            ActorRef<Msg> collector = Runtimes.spawn(pekko, Behaviors.receiveMessage(msg -> {
                sum.complete(((Result) msg).sum());
                return Behaviors.stopped();
            }));
            Runtimes.spawn(pekko, pekkoNode()).tell(new Start(0, LEAVES, collector));
        }
        long result = Runtimes.await(sum, zbmd);
        Runtimes.checkNoneLost(zbmd);
        if (result != EXPECTED_SUM) {
            throw new IllegalStateException("skynet summed " + result + ", expected " + EXPECTED_SUM);
        }
        return result;
    }

    static final class ZbmdNode implements Actor<Msg> {
        private final ActorContext<Msg> ctx;
        private io.zbmd.actor.ActorRef<Msg> parent;
        private long sum;
        private int pending;

        ZbmdNode(ActorContext<Msg> ctx) {
            this.ctx = ctx;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void onMessage(Msg msg) {
            switch (msg) {
                case Start start -> {
                    parent = (io.zbmd.actor.ActorRef<Msg>) start.parent();
                    if (start.size() == 1) {
                        parent.tell(new Result(start.offset()));
                        ctx.stopSelf();
                        return;
                    }
                    long child = start.size() / 10;
                    pending = 10;
                    for (int i = 0; i < 10; i++) {
                        ctx.<Msg>spawn("", ZbmdNode::new).tell(new Start(start.offset() + i * child, child, ctx.self()));
                    }
                }
                case Result result -> {
                    sum += result.sum();
                    if (--pending == 0) {
                        parent.tell(new Result(sum));
                        ctx.stopSelf();
                    }
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Behavior<Msg> pekkoNode() {
        return Behaviors.setup(ctx -> {
            Object[] parent = new Object[1];
            long[] state = new long[2]; // sum, pending
            return Behaviors.receiveMessage(msg -> {
                switch (msg) {
                    case Start start -> {
                        parent[0] = start.parent();
                        if (start.size() == 1) {
                            ((ActorRef<Msg>) parent[0]).tell(new Result(start.offset()));
                            return Behaviors.stopped();
                        }
                        long child = start.size() / 10;
                        state[1] = 10;
                        for (int i = 0; i < 10; i++) {
                            ctx.spawnAnonymous(pekkoNode()).tell(new Start(start.offset() + i * child, child, ctx.getSelf()));
                        }
                        return Behaviors.same();
                    }
                    case Result result -> {
                        state[0] += result.sum();
                        if (--state[1] == 0) {
                            ((ActorRef<Msg>) parent[0]).tell(new Result(state[0]));
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    }
                }
            });
        });
    }
}
