package io.zbmd.supervision;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import java.time.Duration;

/**
 * What supervisors do, published on {@link io.zbmd.actor.ActorSystem#events()}: subscribe to
 * {@code SupervisionEvent.class} (or one of its records) to log, count or test supervision.
 * Every event names the supervisor by its path and the child by its id.
 */
public sealed interface SupervisionEvent {

    /** @return the supervisor's path */
    String supervisor();

    /**
     * A child was started for the first time (or added at run time).
     *
     * @param supervisor the supervisor's path
     * @param childId the child's id
     * @param child its ref
     */
    record ChildStarted(String supervisor, String childId, ActorRef<?> child) implements SupervisionEvent {}

    /**
     * A child crashed or exited abnormally.
     *
     * @param supervisor the supervisor's path
     * @param childId the child's id
     * @param reason why it ended
     * @param restarts how many times it had been restarted before
     */
    record ChildCrashed(String supervisor, String childId, ExitReason reason, int restarts) implements SupervisionEvent {}

    /**
     * A child was restarted.
     *
     * @param supervisor the supervisor's path
     * @param childId the child's id
     * @param child its ref: the same as before when restarted in place (after a crash), a new
     *     one when the old actor had been ended from outside
     * @param restarts its restart count, this one included
     * @param inPlace whether the same ref and mailbox were kept
     */
    record ChildRestarted(String supervisor, String childId, ActorRef<?> child, int restarts, boolean inPlace)
            implements SupervisionEvent {}

    /**
     * A child ended and will not be restarted (its restart type says so, or it was
     * terminated on request, or its supervisor is stopping).
     *
     * @param supervisor the supervisor's path
     * @param childId the child's id
     * @param reason why it ended
     */
    record ChildStopped(String supervisor, String childId, ExitReason reason) implements SupervisionEvent {}

    /**
     * A child ignored its shutdown timeout and was killed.
     *
     * @param supervisor the supervisor's path
     * @param childId the child's id
     * @param timeout the timeout it ignored
     */
    record ChildKilled(String supervisor, String childId, Duration timeout) implements SupervisionEvent {}

    /**
     * The supervisor reached its restart intensity: it stops all its children and exits.
     *
     * @param supervisor the supervisor's path
     * @param restarts the restarts counted within the period
     * @param period the period
     * @param lastReason the exit that tipped it over
     */
    record GaveUp(String supervisor, int restarts, Duration period, ExitReason lastReason) implements SupervisionEvent {}

    /**
     * A supervisor that gave up has ended; its own supervisor (if any) now handles its exit.
     *
     * @param supervisor the supervisor's path
     * @param parent the path of the actor its exit goes to
     * @param reason its exit reason
     */
    record Escalated(String supervisor, String parent, ExitReason reason) implements SupervisionEvent {}
}
