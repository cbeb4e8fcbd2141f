package io.zbmd.supervision;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.AskRefusedException;
import io.zbmd.actor.ExitReason;
import io.zbmd.supervision.internal.SupervisorCommand;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A running supervisor: introspection and control, as OTP's {@code which_children},
 * {@code count_children}, {@code restart_child}, {@code terminate_child},
 * {@code delete_child} and {@code start_child}. Every call is a request to the supervisor
 * actor and returns a future; a request the supervisor refuses fails the future with an
 * exception that names the child and the supervisor. Thread-safe.
 *
 * <p>Child refs are stable: a child restarted after a crash keeps its ref (and its mailbox),
 * so a ref from {@link #child(String)} stays good across crashes.
 */
public final class Supervisor {
    /** How long a request to the supervisor may take before its future fails. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final ActorRef<SupervisorCommand> ref;
    private final ActorSystem system;
    private final Duration timeout;

    Supervisor(ActorRef<SupervisorCommand> ref, ActorSystem system, Duration timeout) {
        this.ref = ref;
        this.system = system;
        this.timeout = timeout;
    }

    /** @return the actor system it runs in */
    public ActorSystem system() {
        return system;
    }

    /** @return the supervisor actor, to link to, monitor or stop */
    public ActorRef<?> ref() {
        return ref;
    }

    /**
     * @param value how long requests may take
     * @return a handle whose requests use this timeout
     */
    public Supervisor withTimeout(Duration value) {
        return new Supervisor(ref, system, Objects.requireNonNull(value, "timeout"));
    }

    /** @return the children in start order */
    public CompletableFuture<List<ChildInfo>> children() {
        return request(SupervisorCommand.WhichChildren::new, "list the children");
    }

    /** @return the children counted */
    public CompletableFuture<ChildCounts> countChildren() {
        return request(SupervisorCommand.CountChildren::new, "count the children");
    }

    /**
     * The current ref of a child; stable across its in-place restarts.
     *
     * @param id the child's id
     * @param <M> the child's message type (the caller's promise; not checked)
     * @return the ref, or empty if no such child is running
     */
    public <M> CompletableFuture<Optional<ActorRef<M>>> child(String id) {
        Objects.requireNonNull(id, "child id must not be null");
        return request(replyTo -> new SupervisorCommand.GetChild(id, replyTo), "look up child '" + id + "'");
    }

    /**
     * A handle on a child supervisor, to list, start, restart, terminate or delete its own
     * children.
     *
     * @param id the child's id
     * @return the handle, or empty if no such child is running or it is not a supervisor
     */
    public CompletableFuture<Optional<Supervisor>> childSupervisor(String id) {
        Objects.requireNonNull(id, "child id must not be null");
        return children().thenApply(children -> children.stream()
                .filter(c -> c.id().equals(id) && c.kind() == ChildKind.SUPERVISOR && c.ref() != null)
                .findFirst()
                .map(c -> of(c.ref())));
    }

    @SuppressWarnings("unchecked")
    private Supervisor of(ActorRef<?> child) {
        return new Supervisor((ActorRef<SupervisorCommand>) child, system, timeout);
    }

    /**
     * Starts a child that is not running (it was terminated, or its restart type left it
     * stopped).
     *
     * @param id the child's id
     * @return its new ref, or null if it declined to start ({@link io.zbmd.actor.IgnoreStart});
     *     fails with {@link ChildRequestException} if it is running, restarting or unknown, with
     *     {@link ChildStartException} if it fails to start
     */
    public CompletableFuture<ActorRef<?>> restartChild(String id) {
        Objects.requireNonNull(id, "child id must not be null");
        return request(replyTo -> new SupervisorCommand.RestartChild(id, replyTo), "restart child '" + id + "'");
    }

    /**
     * Stops a child with its shutdown (a temporary child is then forgotten, others keep
     * their spec and can be restarted).
     *
     * @param id the child's id
     * @return completes once it has stopped; fails if unknown
     */
    public CompletableFuture<Boolean> terminateChild(String id) {
        Objects.requireNonNull(id, "child id must not be null");
        return request(replyTo -> new SupervisorCommand.TerminateChild(id, replyTo), "terminate child '" + id + "'");
    }

    /**
     * Forgets the spec of a child that is not running.
     *
     * @param id the child's id
     * @return completes once forgotten; fails if it is running or unknown
     */
    public CompletableFuture<Boolean> deleteChild(String id) {
        Objects.requireNonNull(id, "child id must not be null");
        return request(replyTo -> new SupervisorCommand.DeleteChild(id, replyTo), "delete child '" + id + "'");
    }

    /**
     * Adds a child at run time and starts it, after the existing ones.
     *
     * @param spec the child's spec; its id must be new
     * @return its ref, or null if it declined to start ({@link io.zbmd.actor.IgnoreStart}: the
     *     child is kept, not running, unless temporary); fails with {@link ChildRequestException}
     *     if the id is taken (already started, or already present), with
     *     {@link ChildStartException} if it fails to start, with {@link IllegalArgumentException}
     *     for a significant child that is permanent or under a supervisor that never shuts
     *     down by itself
     */
    public CompletableFuture<ActorRef<?>> startChild(ChildSpec spec) {
        Objects.requireNonNull(spec, "child spec must not be null");
        return request(replyTo -> new SupervisorCommand.StartChild(spec, replyTo), "start child '" + spec.id() + "'");
    }

    /**
     * Stops the supervisor: its children in reverse start order, each per its shutdown.
     *
     * @return completes with the supervisor's exit reason once it has ended
     */
    public CompletableFuture<ExitReason> stop() {
        CompletableFuture<ExitReason> ended = system.terminationOf(ref);
        system.stop(ref);
        return ended;
    }

    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> request(Function<ActorRef<Object>, SupervisorCommand> command, String what) {
        CompletableFuture<Object> reply;
        try {
            reply = ref.ask(command::apply, timeout);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reply.handle((value, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (cause instanceof AskRefusedException) {
                    throw new IllegalStateException("supervisor " + ref.path() + " has ended: cannot " + what, cause);
                }
                throw cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
            }
            if (value instanceof SupervisorCommand.Failure failure) {
                throw failure.error();
            }
            if (value instanceof SupervisorCommand.NotStarted) {
                return null;
            }
            return (T) value;
        });
    }

    @Override
    public String toString() {
        return "Supervisor[" + ref.path() + "]";
    }
}
