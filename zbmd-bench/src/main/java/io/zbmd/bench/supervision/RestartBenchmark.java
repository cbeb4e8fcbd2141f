package io.zbmd.bench.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.bench.actors.Runtimes;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 * Restart latency: a supervised child crashes; the invocation ends when the restarted child
 * has handled the next message (sent right after the crashing one). zbmd: a one-for-one
 * supervisor, restart in place. Pekko typed:
 * {@code Behaviors.supervise(...).onFailure(SupervisorStrategy.restart())}. Crash logging is
 * off on both sides (a logged stack trace would dominate both).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport=off",
    "-Dorg.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter=off"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RestartBenchmark {

    @Param({Runtimes.ZBMD, Runtimes.PEKKO})
    public String runtime;

    sealed interface Msg permits Crash, Ping {}

    /** Crashes the child. */
    enum Crash implements Msg {
        INSTANCE
    }

    /** Answered by the child. */
    record Ping(CompletableFuture<Void> done) implements Msg {}

    private io.zbmd.actor.ActorSystem zbmd;
    private io.zbmd.actor.ActorRef<Msg> zbmdChild;
    private ActorSystem<SpawnProtocol.Command> pekko;
    private ActorRef<Msg> pekkoChild;

    @Setup
    public void setUp() {
        if (runtime.equals(Runtimes.PEKKO)) {
            pekko = Runtimes.pekko();
            pekkoChild = Runtimes.spawn(pekko, Behaviors.supervise(Behaviors.<Msg>receiveMessage(msg -> {
                if (msg instanceof Ping ping) {
                    ping.done().complete(null);
                    return Behaviors.same();
                }
                throw new IllegalStateException("crash");
            })).onFailure(IllegalStateException.class, SupervisorStrategy.restart().withLoggingEnabled(false)));
        } else {
            zbmd = Runtimes.zbmd(Runtimes.ZBMD, 1024);
            Supervisor supervisor = Supervisors.start(zbmd, "supervisor", SupervisorSpec.oneForOne()
                    .withIntensity(Integer.MAX_VALUE, Duration.ofSeconds(1))
                    .withChild(ChildSpec.worker("child", () -> (Actor<Msg>) msg -> {
                        if (msg instanceof Ping ping) {
                            ping.done().complete(null);
                            return;
                        }
                        throw new IllegalStateException("crash");
                    })));
            zbmdChild = supervisor.<Msg>child("child").join().orElseThrow();
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
    public void crashRestartAndHandleTheNextMessage() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (zbmd != null) {
            zbmdChild.tell(Crash.INSTANCE);
            zbmdChild.tell(new Ping(done));
        } else {
            pekkoChild.tell(Crash.INSTANCE);
            pekkoChild.tell(new Ping(done));
        }
        done.join();
    }
}
