package io.zbmd.supervision.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.supervision.ChildSpec;

/**
 * What the {@link io.zbmd.supervision.Supervisor} handles send to a supervisor actor. Every
 * command is an ask: the reply is the value, or a {@link Failure}.
 */
public sealed interface SupervisorCommand {

    /** @return where the reply goes */
    ActorRef<Object> replyTo();

    /** A failed command, with the exception the caller's future fails with. */
    record Failure(RuntimeException error) {}

    /** The reply to a start whose child declined to start (OTP's {@code {ok, undefined}}): the future completes with null. */
    record NotStarted() {}

    /** Replies the children's {@code ChildInfo}s in start order. */
    record WhichChildren(ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Replies {@code ChildCounts}. */
    record CountChildren(ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Replies an {@code Optional<ActorRef>} of the child's current ref. */
    record GetChild(String id, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Starts a child that is not running; replies its ref. */
    record RestartChild(String id, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Stops a child with its shutdown; replies {@code Boolean.TRUE}. */
    record TerminateChild(String id, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Stops the child with this ref (dynamic supervisors); replies {@code Boolean.TRUE}. */
    record TerminateRef(ActorRef<?> child, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Removes the spec of a child that is not running; replies {@code Boolean.TRUE}. */
    record DeleteChild(String id, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Adds and starts a child; replies its ref. */
    record StartChild(ChildSpec spec, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /** Starts a dynamic child from the template with these arguments; replies its ref. */
    record StartDynamic(Object args, ActorRef<Object> replyTo) implements SupervisorCommand {}

    /**
     * The supervisor to itself, as OTP's {@code try_again_restart}: a restart of child {@code id}
     * failed to start; it is tried again once what was queued before has been handled.
     *
     * @param id the child
     * @param generation which child of that id (one removed and added again is another)
     */
    record TryAgain(String id, int generation) implements SupervisorCommand {
        @Override
        public ActorRef<Object> replyTo() {
            return null; // no one waits for it
        }
    }
}
