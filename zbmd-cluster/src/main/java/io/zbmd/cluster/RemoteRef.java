package io.zbmd.cluster;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.internal.Runtime;
import io.zbmd.actor.internal.SystemMessage;
import io.zbmd.actor.internal.SystemTarget;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A ref to an actor on another node: messages go out as frames through {@link Remoting};
 * links, monitors, exit signals and stops too, as data about addresses. Equal to any other
 * ref with the same address. What OTP guarantees between two processes holds: messages from
 * one sender arrive in the order sent, and a message to an actor on a node that is not a
 * member now is a dead letter.
 */
final class RemoteRef<M> implements ActorRef<M>, SystemTarget {
    private final ActorAddress address;
    private final Member member;
    private final Remoting remoting;

    RemoteRef(ActorAddress address, Remoting remoting) {
        this.address = address;
        this.member = new Member(address.node(), address.incarnation());
        this.remoting = remoting;
    }

    Member member() {
        return member;
    }

    @Override
    public void tell(M message) {
        remoting.tell(this, message);
    }

    @Override
    public boolean offer(M message) {
        return remoting.tell(this, message);
    }

    @Override
    public boolean offer(M message, Duration timeout) {
        return remoting.tell(this, message);
    }

    @Override
    public <R> CompletableFuture<R> ask(Function<ActorRef<R>, ? extends M> request, Duration timeout) {
        return remoting.runtime().ask(this, request, timeout);
    }

    @Override
    public String path() {
        return "zbmd://" + address;
    }

    @Override
    public ActorAddress address() {
        return address;
    }

    @Override
    public ActorRef<?> ref() {
        return this;
    }

    @Override
    public Runtime runtime() {
        return remoting.runtime();
    }

    @Override
    public void sendSystem(SystemMessage message) {
        remoting.sendSystem(this, message);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RemoteRef<?> ref && ref.address.equals(address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public String toString() {
        return "Actor[" + path() + "]";
    }
}
