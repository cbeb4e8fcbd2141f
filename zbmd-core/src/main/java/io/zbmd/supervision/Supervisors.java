package io.zbmd.supervision;

import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.dispatch.DispatcherKind;
import io.zbmd.supervision.internal.SupervisorActor;
import io.zbmd.supervision.internal.SupervisorCommand;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Starts supervisors. A supervisor starts its children in order before this returns; if one
 * fails to start, the supervisor stops the ones already started, in reverse order, and ends,
 * and this throws {@link SupervisorStartException} naming the child (from outside an actor,
 * once the supervisor has ended, as OTP's {@code start_link} returns; from inside one, at
 * once, while the stops go on).
 *
 * <pre>{@code
 * Supervisor supervisor = Supervisors.start(system, "workers", SupervisorSpec.oneForOne()
 *         .withIntensity(10, Duration.ofMinutes(1))
 *         .withChild(ChildSpec.worker("counter", ctx -> new Counter())));
 * ActorRef<CounterMsg> counter = supervisor.<CounterMsg>child("counter").join().orElseThrow();
 * }</pre>
 */
public final class Supervisors {
    private Supervisors() {}

    /**
     * Starts a top-level supervisor.
     *
     * @param system the system
     * @param name the supervisor's name in its path
     * @param spec its specification
     * @return the running supervisor
     * @throws SupervisorStartException if a child fails to start
     * @throws IllegalStateException if the system is closed
     */
    public static Supervisor start(ActorSystem system, String name, SupervisorSpec spec) {
        Objects.requireNonNull(system, "system must not be null");
        Objects.requireNonNull(spec, "spec must not be null");
        CompletableFuture<Void> started = new CompletableFuture<>();
        ActorRef<SupervisorCommand> ref = system.spawn(SpawnOptions.named(Objects.requireNonNull(name, "name")),
                SupervisorActor.factory(spec, null, started));
        return started(ref, system, started, true);
    }

    /**
     * Starts a supervisor as a child of an actor (which does not supervise it: link to it or
     * monitor it to learn that it gave up).
     *
     * @param parent the spawning actor's context
     * @param name the supervisor's name in its path
     * @param spec its specification
     * @return the running supervisor
     * @throws SupervisorStartException if a child fails to start
     */
    public static Supervisor start(ActorContext<?> parent, String name, SupervisorSpec spec) {
        Objects.requireNonNull(parent, "parent context must not be null");
        Objects.requireNonNull(spec, "spec must not be null");
        CompletableFuture<Void> started = new CompletableFuture<>();
        ActorRef<SupervisorCommand> ref = parent.spawn(SpawnOptions.named(Objects.requireNonNull(name, "name")),
                SupervisorActor.factory(spec, null, started));
        return started(ref, parent.system(), started, false);
    }

    /**
     * Starts a top-level dynamic supervisor, with no children yet.
     *
     * @param system the system
     * @param name the supervisor's name in its path
     * @param spec the children's template and the restart limits
     * @param <A> the children's arguments
     * @param <M> the children's message type
     * @return the running supervisor
     */
    public static <A, M> DynamicSupervisor<A, M> startDynamic(ActorSystem system, String name,
            DynamicSupervisorSpec<A, M> spec) {
        Objects.requireNonNull(system, "system must not be null");
        Objects.requireNonNull(spec, "spec must not be null");
        CompletableFuture<Void> started = new CompletableFuture<>();
        ActorRef<SupervisorCommand> ref = system.spawn(SpawnOptions.named(Objects.requireNonNull(name, "name")),
                SupervisorActor.factory(spec.asSupervisorSpec(), spec, started));
        return new DynamicSupervisor<>(started(ref, system, started, true));
    }

    /**
     * The supervisor's onStart ran on this thread: {@code started} is complete by now, unless
     * a process child's {@code init} goes on. From outside an actor ({@code awaitEnd}), wait
     * for that (running the deterministic dispatcher, which runs nothing by itself); from
     * inside one, return at once: the supervisor answers requests once its start is done, and
     * a start that fails after all ends it (link to it or monitor it). If the start failed,
     * the supervisor is stopping what it started; from outside an actor, wait for its end.
     */
    private static Supervisor started(ActorRef<SupervisorCommand> ref, ActorSystem system,
            CompletableFuture<Void> started, boolean awaitEnd) {
        if (!started.isDone() && !awaitEnd) {
            return new Supervisor(ref, system, Supervisor.DEFAULT_TIMEOUT);
        }
        if (!started.isDone() && system.config().dispatcher() instanceof DispatcherKind.Deterministic) {
            system.deterministic().runUntil(started::isDone, Duration.ofDays(1));
        }
        try {
            started.join();
        } catch (CompletionException e) {
            if (awaitEnd) {
                awaitTermination(system, ref);
            }
            if (e.getCause() instanceof SupervisorStartException failure) {
                throw failure;
            }
            throw e;
        }
        return new Supervisor(ref, system, Supervisor.DEFAULT_TIMEOUT);
    }

    private static void awaitTermination(ActorSystem system, ActorRef<?> ref) {
        CompletableFuture<ExitReason> ended = system.terminationOf(ref);
        if (system.config().dispatcher() instanceof DispatcherKind.Deterministic) {
            system.deterministic().runUntil(ended::isDone, Duration.ofDays(1));
            return;
        }
        try {
            ended.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // it has ended either way
        }
    }
}
