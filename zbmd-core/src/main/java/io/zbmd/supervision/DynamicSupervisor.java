package io.zbmd.supervision;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.supervision.internal.SupervisorCommand;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A running dynamic supervisor, as OTP's {@code DynamicSupervisor}: children are started on
 * demand from one template. Thread-safe; every call returns a future.
 *
 * @param <A> the arguments a child is started with
 * @param <M> the children's message type
 */
public final class DynamicSupervisor<A, M> {
    private final Supervisor supervisor;

    DynamicSupervisor(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    /**
     * Starts a child from the template.
     *
     * @param args its arguments, kept for its restarts
     * @return its ref; fails if it fails to start or the supervisor is at its maxChildren
     */
    public CompletableFuture<ActorRef<M>> startChild(A args) {
        Objects.requireNonNull(args, "child arguments must not be null");
        return supervisor.request(replyTo -> new SupervisorCommand.StartDynamic(args, replyTo),
                "start a child with " + args);
    }

    /**
     * Stops a child with its shutdown and forgets it.
     *
     * @param child one of this supervisor's children
     * @return completes once it has stopped; fails if it is not a child
     */
    public CompletableFuture<Boolean> terminateChild(ActorRef<M> child) {
        Objects.requireNonNull(child, "child must not be null");
        return supervisor.request(replyTo -> new SupervisorCommand.TerminateRef(child, replyTo),
                "terminate child " + child.path());
    }

    /** @return the children in start order */
    public CompletableFuture<List<ChildInfo>> children() {
        return supervisor.children();
    }

    /** @return the children counted */
    public CompletableFuture<ChildCounts> countChildren() {
        return supervisor.countChildren();
    }

    /** @return the supervisor actor */
    public ActorRef<?> ref() {
        return supervisor.ref();
    }

    /** @return completes with the exit reason once the supervisor and its children have ended */
    public CompletableFuture<ExitReason> stop() {
        return supervisor.stop();
    }
}
