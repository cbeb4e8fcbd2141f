package io.zbmd.supervision;

import io.zbmd.actor.ActorRef;

/**
 * One child of a supervisor, as {@link Supervisor#children()} sees it.
 *
 * @param id its id
 * @param ref its ref, or null if it is not running
 * @param kind worker or supervisor
 * @param restart its restart type
 * @param restarts how many times it has been restarted
 * @param running whether it is running now (a suspended child waiting for its restart counts)
 */
public record ChildInfo(String id, ActorRef<?> ref, ChildKind kind, RestartType restart, int restarts, boolean running) {}
