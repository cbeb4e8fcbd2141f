package io.zbmd.bench.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.dispatch.DispatcherKind;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * How each benchmark creates its runtimes, so that zbmd and Pekko get the same number of
 * threads: one per available processor (two on the reference machine). Pekko's default
 * dispatcher would otherwise start at least 8 threads; its other defaults (throughput 5,
 * fork-join executor) are kept.
 */
public final class Runtimes {
    /** The runtimes a benchmark's {@code runtime} parameter may name. */
    public static final String ZBMD = "zbmd";
    /** zbmd on its ForkJoinPool dispatcher, to compare the two dispatchers. */
    public static final String ZBMD_FJ = "zbmd-fj";
    /** Apache Pekko typed. */
    public static final String PEKKO = "pekko";

    static final int THREADS = java.lang.Runtime.getRuntime().availableProcessors();

    private Runtimes() {}

    /**
     * @param runtime {@link #ZBMD} or {@link #ZBMD_FJ}
     * @param mailboxCapacity the default mailbox bound
     * @return a zbmd system
     */
    public static io.zbmd.actor.ActorSystem zbmd(String runtime, int mailboxCapacity) {
        DispatcherKind dispatcher = switch (runtime) {
            case ZBMD -> DispatcherKind.workStealing();
            case ZBMD_FJ -> DispatcherKind.forkJoin();
            default -> throw new IllegalArgumentException("not a zbmd runtime: " + runtime);
        };
        return io.zbmd.actor.ActorSystem.create(ActorSystemConfig.defaults()
                .withName("bench")
                .withWorkers(THREADS)
                .withDispatcher(dispatcher)
                .withMailboxCapacity(mailboxCapacity));
    }

    /** @return a Pekko typed system whose guardian spawns actors on request */
    public static ActorSystem<SpawnProtocol.Command> pekko() {
        return ActorSystem.create(SpawnProtocol.create(), "bench", pekkoConfig());
    }

    /** @return Pekko's configuration for the benchmarks: as many threads as zbmd gets */
    public static Config pekkoConfig() {
        return ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.log-dead-letters = off
                pekko.log-dead-letters-during-shutdown = off
                pekko.actor.default-dispatcher.fork-join-executor {
                  parallelism-min = %d
                  parallelism-max = %d
                }
                """.formatted(THREADS, THREADS)).withFallback(ConfigFactory.load());
    }

    /**
     * Spawns a top-level Pekko actor through the guardian and waits for its ref.
     *
     * @param system the system
     * @param behavior the actor's behaviour
     * @param <T> its message type
     * @return its ref
     */
    public static <T> ActorRef<T> spawn(ActorSystem<SpawnProtocol.Command> system, Behavior<T> behavior) {
        CompletionStage<ActorRef<T>> ref = AskPattern.ask(system,
                replyTo -> new SpawnProtocol.Spawn<>(behavior, "", Props.empty(), replyTo),
                Duration.ofSeconds(10), system.scheduler());
        try {
            return ref.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not spawn a Pekko actor", e);
        }
    }

    /** Terminates a Pekko system and waits for it. */
    public static void close(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Pekko did not terminate", e);
        }
    }
}
