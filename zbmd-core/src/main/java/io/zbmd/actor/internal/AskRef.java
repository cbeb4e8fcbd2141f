package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.DeadLetterReason;
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
    private final Runtime runtime;
    private final long id;
    private final String targetPath;
    final CompletableFuture<R> future = new CompletableFuture<>();
    volatile Cancellable timeout;

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
     * also sees no timer left behind.
     */
    @Override
    public boolean offer(R reply) {
        Objects.requireNonNull(reply, () -> "reply must not be null (reply to " + path() + ")");
        if (future.isDone()) {
            return false;
        }
        cancelTimeout();
        return future.complete(reply);
    }

    void cancelTimeout() {
        Cancellable t = timeout;
        if (t != null) {
            t.cancel();
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
