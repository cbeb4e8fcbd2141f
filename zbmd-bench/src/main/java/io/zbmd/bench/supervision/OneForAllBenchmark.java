package io.zbmd.bench.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.bench.actors.Runtimes;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.AllForOneStrategy;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.SupervisorStrategy;
import org.apache.pekko.pattern.Patterns;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One-for-all restart of {@value #CHILDREN} children: one crashes, the supervisor restarts
 * all of them; the invocation ends when every child has handled a message sent right after
 * the crash. Pekko typed has no one-for-all strategy, so the peer is Pekko classic's
 * {@code AllForOneStrategy} (logging off on both sides). zbmd stops the others in reverse
 * order and restarts them one by one in start order, as OTP does; Pekko restarts them all at
 * once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport=off",
    "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter=off"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class OneForAllBenchmark {
    static final int CHILDREN = 100;

    @Param({Runtimes.ZBMD, Runtimes.PEKKO})
    public String runtime;

    /** Crashes a child. */
    enum Crash {
        INSTANCE
    }

    /** Answered by each child. */
    record Ping(CountDownLatch done) {}

    private io.zbmd.actor.ActorSystem zbmd;
    private final List<io.zbmd.actor.ActorRef<Object>> zbmdChildren = new ArrayList<>();
    private ActorSystem pekko;
    private final List<ActorRef> pekkoChildren = new ArrayList<>();

    @Setup
    public void setUp() throws Exception {
        if (runtime.equals(Runtimes.PEKKO)) {
            pekko = ActorSystem.create("bench", Runtimes.pekkoConfig());
            ActorRef parent = pekko.actorOf(Props.create(PekkoParent.class, PekkoParent::new));
            @SuppressWarnings("unchecked")
            List<ActorRef> children = (List<ActorRef>) Patterns.ask(parent, "children", Duration.ofSeconds(10))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            pekkoChildren.addAll(children);
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD, 1024);
            SupervisorSpec spec = SupervisorSpec.oneForAll().withIntensity(Integer.MAX_VALUE, Duration.ofSeconds(1));
            for (int i = 0; i < CHILDREN; i++) {
                spec = spec.withChild(ChildSpec.worker("child-" + i, () -> (Actor<Object>) msg -> {
                    if (msg instanceof Ping ping) {
                        ping.done().countDown();
                        return;
                    }
                    throw new IllegalStateException("crash");
                }));
            }
            Supervisor supervisor = Supervisors.start(zbmd, "supervisor", spec);
            for (int i = 0; i < CHILDREN; i++) {
                zbmdChildren.add(supervisor.<Object>child("child-" + i).join().orElseThrow());
            }
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        if (zbmd != null) {
            zbmd.close();
        }
        if (pekko != null) {
            pekko.terminate();
            pekko.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Benchmark
    public void restartAll() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(CHILDREN);
        Ping ping = new Ping(done);
        if (zbmd != null) {
            zbmdChildren.get(0).tell(Crash.INSTANCE);
            for (io.zbmd.actor.ActorRef<Object> child : zbmdChildren) {
                child.tell(ping);
            }
        } else {
            pekkoChildren.get(0).tell(Crash.INSTANCE, ActorRef.noSender());
            for (ActorRef child : pekkoChildren) {
                child.tell(ping, ActorRef.noSender());
            }
        }
        done.await();
    }

    /** A classic parent with an all-for-one strategy over its children. */
    static final class PekkoParent extends AbstractActor {
        private final List<ActorRef> children = new ArrayList<>();

        @Override
        public void preStart() {
            for (int i = 0; i < CHILDREN; i++) {
                children.add(getContext().actorOf(Props.create(PekkoChild.class, PekkoChild::new)));
            }
        }

        @Override
        public SupervisorStrategy supervisorStrategy() {
            // Unlimited restarts: with a finite window Pekko allows one restart per window.
            return new AllForOneStrategy(-1, scala.concurrent.duration.Duration.Inf(),
                    failure -> SupervisorStrategy.restart(), false);
        }

        @Override
        public Receive createReceive() {
            return receiveBuilder().matchEquals("children", m -> getSender().tell(List.copyOf(children), getSelf())).build();
        }
    }

    /** A classic child: answers pings, crashes on request. */
    static final class PekkoChild extends AbstractActor {
        @Override
        public Receive createReceive() {
            return receiveBuilder()
                    .match(Ping.class, ping -> ping.done().countDown())
                    .matchEquals(Crash.INSTANCE, crash -> {
                        throw new IllegalStateException("crash");
                    })
                    .build();
        }
    }
}
