package io.zbmd.bench.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.dispatch.DispatcherKind;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SpawnProtocol;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * How each benchmark creates its runtimes, so that zbmd and Pekko get the same number of
 * threads: one per available processor (two on the reference machine).
 *
 * <p>Pekko runs twice in every table. {@link #PEKKO} is Pekko as configured by default, but
 * for the thread count (its default dispatcher would start at least 8 threads): throughput 5,
 * the fork-join executor, the unbounded mailbox. {@link #PEKKO_TUNED} is Pekko tuned the way
 * its dispatcher and mailbox documentation advises for the workload: a throughput of 64
 * messages per turn (the budget zbmd's actors get), the {@code SingleConsumerOnlyUnboundedMailbox}
 * (documented as possibly faster than the default), and, for latency workloads, the
 * affinity-pool executor (documented for low latency, at its highest idle-CPU level).
 * zbmd's ratio is quoted against the better of the two.
 */
public final class Runtimes {
    /** The runtimes a benchmark's {@code runtime} parameter may name. */
    public static final String ZBMD = "zbmd";
    /** zbmd on its ForkJoinPool dispatcher, to compare the two dispatchers (not run by default). */
    public static final String ZBMD_FJ = "zbmd-fj";
    /** Apache Pekko typed, at its defaults. */
    public static final String PEKKO = "pekko";
    /** Apache Pekko typed, tuned for the workload; see the class comment. */
    public static final String PEKKO_TUNED = "pekko-tuned";

    /** What a workload needs from a tuned Pekko. */
    public enum Workload {
        /** Few actors passing messages back and forth: the affinity pool. */
        LATENCY,
        /** Many messages or many actors: the fork-join executor. */
        THROUGHPUT
    }

    static final int THREADS = java.lang.Runtime.getRuntime().availableProcessors();

    private Runtimes() {}

    /** @return whether the runtime parameter names a Pekko configuration */
    public static boolean isPekko(String runtime) {
        return runtime.equals(PEKKO) || runtime.equals(PEKKO_TUNED);
    }

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

    /** @return zbmd at its defaults (mailbox capacity included), with {@link #THREADS} workers */
    public static io.zbmd.actor.ActorSystem zbmd(String runtime) {
        return zbmd(runtime, ActorSystemConfig.DEFAULT_MAILBOX_CAPACITY);
    }

    /**
     * @param runtime {@link #PEKKO} or {@link #PEKKO_TUNED}
     * @param workload what the tuned configuration is for
     * @return a Pekko typed system whose guardian spawns actors on request
     */
    public static ActorSystem<SpawnProtocol.Command> pekko(String runtime, Workload workload) {
        return ActorSystem.create(SpawnProtocol.create(), "bench", pekkoConfig(runtime, workload));
    }

    /**
     * @param runtime {@link #PEKKO} or {@link #PEKKO_TUNED}
     * @param workload what the tuned configuration is for
     * @return Pekko's configuration for the benchmarks, with as many threads as zbmd gets
     */
    public static Config pekkoConfig(String runtime, Workload workload) {
        String common = """
                pekko.loglevel = WARNING
                pekko.log-dead-letters = off
                pekko.log-dead-letters-during-shutdown = off
                pekko.actor.default-dispatcher.fork-join-executor {
                  parallelism-min = %d
                  parallelism-max = %d
                }
                """.formatted(THREADS, THREADS);
        String tuned = switch (runtime) {
            case PEKKO -> "";
            case PEKKO_TUNED -> """
                    pekko.actor.default-dispatcher.throughput = 64
                    pekko.actor.default-mailbox.mailbox-type = "org.apache.pekko.dispatch.SingleConsumerOnlyUnboundedMailbox"
                    """ + (workload == Workload.LATENCY ? """
                    pekko.actor.default-dispatcher.executor = "affinity-pool-executor"
                    pekko.actor.default-dispatcher.affinity-pool-executor {
                      parallelism-min = %d
                      parallelism-max = %d
                      idle-cpu-level = 10
                    }
                    """.formatted(THREADS, THREADS) : "");
            default -> throw new IllegalArgumentException("not a Pekko runtime: " + runtime);
        };
        return ConfigFactory.parseString(common + tuned).withFallback(ConfigFactory.load());
    }

    /**
     * Waits for a benchmark operation's result, failing instead of hanging when a message was
     * lost on the way.
     *
     * @param result the operation's result
     * @param zbmd the zbmd system, or null for a Pekko run
     * @param <T> the result's type
     * @return the result
     * @throws Exception if the operation failed or gave no result within a minute
     */
    public static <T> T await(CompletableFuture<T> result, io.zbmd.actor.ActorSystem zbmd) throws Exception {
        try {
            return result.get(1, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no result within a minute" + deadLetters(zbmd), e);
        }
    }

    /**
     * Waits for a benchmark operation's end, failing instead of hanging when a message was
     * lost on the way, and fails if zbmd recorded a dead letter.
     *
     * @param done counted down when the operation ends
     * @param zbmd the zbmd system, or null for a Pekko run
     * @throws Exception if the operation did not end within a minute or lost messages
     */
    public static void await(CountDownLatch done, io.zbmd.actor.ActorSystem zbmd) throws Exception {
        if (!done.await(1, TimeUnit.MINUTES)) {
            throw new IllegalStateException("not done within a minute" + deadLetters(zbmd));
        }
        checkNoneLost(zbmd);
    }

    /**
     * Fails the run if a zbmd system recorded a dead letter: a run that loses messages is a
     * failed run, not a fast one.
     *
     * @param zbmd the zbmd system, or null for a Pekko run
     */
    public static void checkNoneLost(io.zbmd.actor.ActorSystem zbmd) {
        if (zbmd != null && zbmd.metrics().deadLettersTotal() != 0) {
            throw new IllegalStateException("messages were lost" + deadLetters(zbmd));
        }
    }

    /**
     * @param zbmd a zbmd system, or null for a Pekko run
     * @return for an error message: how many messages the zbmd system lost as dead letters
     */
    public static String deadLetters(io.zbmd.actor.ActorSystem zbmd) {
        return zbmd == null ? "" : " (" + zbmd.metrics().deadLettersTotal() + " dead letters so far: " + zbmd.metrics() + ")";
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
