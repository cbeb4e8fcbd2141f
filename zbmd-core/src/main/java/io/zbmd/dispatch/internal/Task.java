package io.zbmd.dispatch.internal;

import java.util.concurrent.ForkJoinTask;

/**
 * A unit the dispatchers run: an actor's turn. Extends {@link ForkJoinTask} so that the
 * ForkJoinPool dispatcher can queue it without wrapping; {@link #exec()} returns false so
 * the task never completes and can be queued again for the next turn (the same trick as
 * Pekko's mailbox).
 *
 * <p>A task is queued at most once at a time: its owner guarantees that (an actor's
 * scheduled flag), the dispatchers rely on it.
 */
public abstract class Task extends ForkJoinTask<Void> {
    private static final long serialVersionUID = 1L;

    /** Runs one turn. Must not throw: a turn handles its own failures. */
    public abstract void runTurn();

    @Override
    protected final boolean exec() {
        runTurn();
        return false;
    }

    @Override
    public final Void getRawResult() {
        return null;
    }

    @Override
    protected final void setRawResult(Void value) {}
}
