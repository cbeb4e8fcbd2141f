package io.zbmd.cluster;

/**
 * A node in the cluster: its actor system's name and incarnation, the same pair that
 * {@link io.zbmd.actor.ActorAddress} holds, so that an actor's address tells which member
 * it lives on. A node that restarts comes back as a new member (a new incarnation).
 *
 * @param node the node's actor system's name
 * @param incarnation the node's start
 */
public record Member(String node, long incarnation) {
    @Override
    public String toString() {
        return node + "#" + Long.toHexString(incarnation);
    }
}
