package io.zbmd.supervision;

import io.zbmd.actor.ActorRef;

/**
 * One child of a supervisor, as {@link Supervisor#children()} sees it (OTP's
 * {@code which_children}).
 *
 * @param id its id
 * @param ref its ref, or null if it is not running
 * @param kind worker or supervisor
 * @param restart its restart type
 * @param restarts how many times it has been restarted
 * @param status running, restarting (a restart failed and is tried again) or not running
 */
public record ChildInfo(String id, ActorRef<?> ref, ChildKind kind, RestartType restart, int restarts,
        ChildStatus status) {

    /** @return whether it is running */
    public boolean running() {
        return status == ChildStatus.RUNNING;
    }
}
