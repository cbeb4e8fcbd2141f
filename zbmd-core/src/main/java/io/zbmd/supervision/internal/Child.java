package io.zbmd.supervision.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.supervision.ChildKind;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.ChildStatus;

/**
 * One child as its supervisor sees it: OTP's child record (spec, and a pid that is a
 * process, {@code restarting} or {@code undefined}) plus the cell zbmd may keep between a
 * crash and an in-place restart. Used on the supervisor's turn only.
 */
final class Child {
    final ChildSpec spec;
    /** The cell: running, or kept (its incarnation stopped) for an in-place restart; null if none. */
    ActorRef<?> ref;
    /** The ref the supervisor's index holds for this child. */
    ActorRef<?> indexedRef;
    ChildStatus status = ChildStatus.NOT_RUNNING;
    /** The cell's incarnation, as the cell counts it: reports about earlier ones are stale. */
    int incarnation;
    /** Whether the cell's current incarnation has stopped (crashed, or suspended for a restart). */
    boolean suspended;
    int restarts;
    /** Changes when the child is removed, so that a queued try-again for an older one is ignored. */
    int generation;
    int consecutiveRestarts;
    long lastRestartNanos;

    Child(ChildSpec spec) {
        this.spec = spec;
    }

    /** @return whether a cell is kept with its incarnation stopped */
    boolean cellKept() {
        return ref != null && suspended;
    }

    /** Its incarnation ended: the cell is kept (a crash) or gone. */
    void ended(boolean cellKept) {
        status = ChildStatus.NOT_RUNNING;
        suspended = cellKept;
        if (!cellKept) {
            ref = null;
        }
    }

    /**
     * Whether it is restarted in place (its cell kept, a new incarnation in it). Workers are,
     * unless their spec says otherwise or their cell has ended (a brutal kill ends it); a child
     * supervisor is replaced by a new one, whose stop and start are its children's, in order.
     */
    boolean inPlace() {
        return spec.kind() == ChildKind.WORKER && spec.inPlace();
    }

    @Override
    public String toString() {
        return spec.id();
    }
}
