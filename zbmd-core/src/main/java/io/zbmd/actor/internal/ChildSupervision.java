package io.zbmd.actor.internal;

import io.zbmd.actor.ExitReason;
import io.zbmd.actor.Snapshotting;

/**
 * The supervision state of a supervised child cell: who supervises it, which incarnation is
 * running, its last snapshot, the message to retry after a crash, and where a suspension
 * stands. Owner thread only, like the rest of {@link Extra}.
 *
 * <p>A supervised child that crashes is not ended: it is <em>suspended</em>. Its timers are
 * cancelled, its children stopped, its instance's {@code onStop} run, and its supervisor told
 * ({@code ChildFailed}); meanwhile its mailbox keeps filling. The supervisor then restarts it
 * in place (a fresh instance from the factory, restored from the last snapshot, the crashed
 * message handled again if retries are left, then the queued messages) or ends it.
 */
final class ChildSupervision {
    final String supervisorPath;
    final String childId;
    final int retries;
    final int snapshotEvery;
    /** Whether the supervisor counts restarts until the child has handled a message (see {@link #restarted}). */
    final boolean reportsProgress;
    /** During the first start: a failure then fails the supervisor's own start. */
    boolean starting = true;
    Throwable startFailure;
    /** Its first start declined ({@code IgnoreStart}). */
    boolean startIgnored;
    /** Its first start goes on after the spawn: its parent waits for a report. */
    boolean startPending;
    /** Counts incarnations, so that the supervisor can ignore reports about earlier ones. */
    int incarnation;
    /** Restarts so far (of this child id, across cells), for crash reports. */
    int restarts;

    /**
     * Messages still to handle to the end before the supervisor is told that this child works
     * again after a restart; 0 when nothing is due.
     */
    private int progressDue;

    private Object snapshot;
    private boolean hasSnapshot;
    private int sinceSnapshot;

    Object retryMessage;
    int retryAttempts;

    boolean awaitingChildren;
    ExitReason suspendReason;
    boolean suspendFailed;

    ChildSupervision(String supervisorPath, String childId, int retries, int snapshotEvery, int restarts,
            boolean reportsProgress) {
        this.supervisorPath = supervisorPath;
        this.childId = childId;
        this.retries = retries;
        this.snapshotEvery = snapshotEvery;
        this.restarts = restarts;
        this.reportsProgress = reportsProgress;
    }

    /**
     * A new incarnation runs (in place, or in a cell that replaces an ended one): once it has
     * handled {@code messages} messages to the end, the supervisor is to hear of it (if it
     * asked to). An actor's handler returns when it has handled one; a process actor shows it
     * by taking the next, so it counts the one it takes first too.
     */
    void restarted(int messages) {
        progressDue = reportsProgress ? messages : 0;
    }

    /** After a message was handled without a crash: snapshot if it is time. */
    void handled(Object actor) {
        if (actor instanceof Snapshotting<?> snapshotting && ++sinceSnapshot >= snapshotEvery) {
            takeSnapshot(snapshotting);
        }
    }

    /**
     * After a message was handled to the end.
     *
     * @return whether the supervisor is now to be told that this incarnation works
     */
    boolean progressed() {
        return progressDue > 0 && --progressDue == 0;
    }

    void takeSnapshot(Snapshotting<?> snapshotting) {
        snapshot = snapshotting.snapshot();
        hasSnapshot = true;
        sinceSnapshot = 0;
    }

    @SuppressWarnings("unchecked")
    void restore(Object actor) throws Exception {
        if (hasSnapshot && actor instanceof Snapshotting<?> snapshotting) {
            ((Snapshotting<Object>) snapshotting).restore(snapshot);
        }
    }

    /**
     * A message's handling crashed: keep it for the next incarnation if retries are left.
     *
     * @return whether it is kept (else it becomes a dead letter)
     */
    boolean keepForRetry(Object message) {
        int attempts = message == retryMessage ? retryAttempts + 1 : 1;
        if (attempts <= retries) {
            retryMessage = message;
            retryAttempts = attempts;
            return true;
        }
        retryMessage = null;
        retryAttempts = 0;
        return false;
    }

    void retried() {
        retryMessage = null;
        retryAttempts = 0;
    }
}
