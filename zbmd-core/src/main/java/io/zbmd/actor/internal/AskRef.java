package io.zbmd.actor.internal;

import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.DeadLetterReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The one-shot reply ref of an {@code ask}: the first reply completes the future and
 * cancels the timeout; anything later is a dead letter ({@link DeadLetterReason#LATE_REPLY}).
 * Holds nothing once completed but the future itself.
 */
final class AskRef<R> implements ActorRef<R> {
    final Runtime runtime;
    private final long id;
    private final String targetPath;
    private static final VarHandle TIMEOUT;
    /** Installed in {@link #timeout} once a reply came: the timer is not needed any more. */
    private static final Cancellable REPLIED = () -> false;

    static {
        try {
            TIMEOUT = MethodHandles.lookup().findVarHandle(AskRef.class, "timeout", Cancellable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CompletableFuture<R> future = new CompletableFuture<>();
    /** null, then the timer, then REPLIED; or null then REPLIED if the reply came first. */
    @SuppressWarnings("unused")
    private volatile Cancellable timeout;

    @Override
    public ActorAddress address() {
        return runtime.address(id);
    }

    AskRef(Runtime runtime, String targetPath) {
        this.runtime = runtime;
        this.id = runtime.nextId();
        this.targetPath = targetPath;
    }

    @Override
    public void tell(R reply) {
        if (!offer(reply)) {
            runtime.deadLetter(path(), reply, DeadLetterReason.LATE_REPLY);
        }
    }

    /**
     * The timeout is cancelled before the future completes, so that whoever sees the reply
     * also sees no timer left behind; see {@link #installTimeout} for a reply that comes
     * before the timer is even set.
     */
    /** A reply ref never fills up: there is nothing to wait for. */
    @Override
    public boolean offer(R reply, Duration timeout) {
        return offer(reply);
    }

    @Override
    public boolean offer(R reply) {
        Objects.requireNonNull(reply, () -> "reply must not be null (reply to " + path() + ")");
        if (future.isDone()) {
            return false;
        }
        Cancellable timer = (Cancellable) TIMEOUT.getAndSet(this, REPLIED);
        if (timer != null) {
            timer.cancel();
        }
        return future.complete(reply);
    }

    /**
     * Installs the timeout after the request was sent; if the reply (or a refusal) already
     * came, cancels it at once, before {@code ask} returns.
     */
    void installTimeout(Cancellable timer) {
        if (!TIMEOUT.compareAndSet(this, null, timer)) {
            timer.cancel();
        }
    }

    @Override
    public <Q> CompletableFuture<Q> ask(Function<ActorRef<Q>, ? extends R> request, Duration timeout) {
        return runtime.ask(this, request, timeout);
    }

    @Override
    public String path() {
        return targetPath + "/$ask#" + id;
    }

    @Override
    public String toString() {
        return "AskRef[" + path() + "]";
    }
}
