package io.zbmd.actor;

import io.zbmd.actor.internal.Runtime;
import io.zbmd.dispatch.DeterministicScheduler;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A running actor system: its scheduler, its actors (a tree under an internal root), its
 * registry, timers, events and metrics.
 *
 * <pre>{@code
 * try (var system = ActorSystem.create(ActorSystemConfig.defaults())) {
 *     ActorRef<Echo.Msg> echo = system.spawn("echo", ctx -> new Echo());
 *     String reply = echo.<String>ask(replyTo -> new Echo.Say("hi", replyTo), Duration.ofSeconds(1)).join();
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops every actor, children before parents, then joins the workers;
 * after it, spawning throws, sends become dead letters and asks fail at once: nothing
 * hangs. All methods are thread-safe.
 */
public final class ActorSystem implements AutoCloseable {

    private final Runtime runtime;

    private ActorSystem(ActorSystemConfig config) {
        this.runtime = new Runtime(this, config);
    }

    /**
     * Starts an actor system.
     *
     * @param config the validated configuration
     * @return the running system
     */
    public static ActorSystem create(ActorSystemConfig config) {
        Objects.requireNonNull(config, "config must not be null; start from ActorSystemConfig.defaults()");
        return new ActorSystem(config);
    }

    /**
     * Spawns a top-level actor.
     *
     * @param name its name in its path (informational; see {@link Registry} for unique names)
     * @param factory makes its instances
     * @param <M> its message type
     * @return its ref
     * @throws IllegalStateException if the system is closed
     */
    public <M> ActorRef<M> spawn(String name, ActorFactory<M> factory) {
        return runtime.spawnTopLevel(SpawnOptions.named(Objects.requireNonNull(name, "name")), factory);
    }

    /**
     * Spawns a top-level actor with options.
     *
     * @param options name and mailbox capacity ({@link SpawnOptions#link()} is not allowed
     *     here: there is no spawning actor to link to)
     * @param factory makes its instances
     * @param <M> its message type
     * @return its ref
     * @throws IllegalStateException if the system is closed
     * @throws IllegalArgumentException if the options ask for a link
     */
    public <M> ActorRef<M> spawn(SpawnOptions options, ActorFactory<M> factory) {
        return runtime.spawnTopLevel(options, factory);
    }

    /**
     * Spawns a top-level {@link ProcessActor} on its own virtual thread.
     *
     * @param name its name in its path
     * @param body the process body
     * @param <M> its message type
     * @return its ref
     * @throws IllegalStateException if the system is closed
     */
    public <M> ActorRef<M> spawnProcess(String name, ProcessActor<M> body) {
        return runtime.spawnTopLevelProcess(SpawnOptions.named(Objects.requireNonNull(name, "name")), body);
    }

    /**
     * Stops any actor with reason {@link ExitReason#SHUTDOWN}, asynchronously; see
     * {@link #terminationOf(ActorRef)} to wait for it.
     *
     * @param actor the actor
     */
    public void stop(ActorRef<?> actor) {
        runtime.stop(actor);
    }

    /**
     * Sends an exit signal to an actor from outside any actor, as OTP's {@code exit/2}: with
     * {@link ExitReason#KILL} it ends the target unconditionally (with {@link ExitReason#KILLED});
     * with {@link ExitReason#NORMAL} it is ignored unless the target traps exits; with any other
     * reason the target ends with it unless it traps exits (then it receives a
     * {@link Signal.Exit} from the system's root). A supervised child that ends this way is
     * replaced by its supervisor, as OTP's is.
     *
     * @param actor the target
     * @param reason the reason
     */
    public void exit(ActorRef<?> actor, ExitReason reason) {
        runtime.exitFromOutside(actor, Objects.requireNonNull(reason, "reason must not be null"));
    }

    /**
     * Completes with an actor's exit reason when it ends (at once if it has ended).
     *
     * @param actor an actor of this system
     * @return its exit reason
     */
    public CompletableFuture<ExitReason> terminationOf(ActorRef<?> actor) {
        return runtime.terminationOf(actor);
    }

    /** @return the name registry */
    public Registry registry() {
        return runtime.registry();
    }

    /** @return the event stream (dead letters, crash reports, supervision events) */
    public EventStream events() {
        return runtime.events();
    }

    /** @return a snapshot of the runtime counters */
    public RuntimeMetrics metrics() {
        return runtime.metrics();
    }

    /**
     * @param actor an actor of this system
     * @return its counters now
     */
    public ActorMetrics metricsOf(ActorRef<?> actor) {
        return runtime.metricsOf(actor);
    }

    /**
     * The controls of the deterministic dispatcher.
     *
     * @return the scheduler to drive
     * @throws IllegalStateException if this system does not use the deterministic dispatcher
     */
    public DeterministicScheduler deterministic() {
        return runtime.deterministic();
    }

    /** @return the configuration the system was created with */
    public ActorSystemConfig config() {
        return runtime.config();
    }

    /** @return the system's name */
    public String name() {
        return runtime.config().name();
    }

    /**
     * @return this start of the system, drawn anew each time it starts (from the seed under
     *     the deterministic dispatcher): with {@link #name()}, the node part of every
     *     {@link ActorAddress} of its actors
     */
    public long incarnation() {
        return runtime.incarnation();
    }

    /** @return whether {@link #close()} has been called */
    public boolean isClosed() {
        return runtime.isClosed();
    }

    /** @return completes when every actor has ended and the workers have stopped */
    public CompletableFuture<Void> whenTerminated() {
        return runtime.whenTerminated();
    }

    /**
     * Stops every actor (children before parents, each honouring its {@link Actor#onStop}),
     * then joins the workers. Waits at most the configured shutdown timeout, then logs the
     * actors still running and stops anyway. Called from inside an actor, it starts the
     * shutdown and returns without waiting (waiting would block a worker the shutdown needs).
     * A second call does nothing.
     */
    @Override
    public void close() {
        runtime.close();
    }

    /**
     * The system's runtime, for zbmd's own modules (zbmd-cluster reaches actors through it, as
     * Pekko's remoting does through its {@code ExtendedActorSystem}); not an application API.
     *
     * @return the runtime
     */
    public Runtime runtime() {
        return runtime;
    }

    @Override
    public String toString() {
        return "ActorSystem[" + name() + "]";
    }
}
