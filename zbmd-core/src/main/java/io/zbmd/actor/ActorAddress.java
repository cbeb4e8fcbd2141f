package io.zbmd.actor;

import java.util.Objects;

/**
 * Where an actor lives, as a value: the node it runs on, the node's incarnation, and the
 * actor's number there. Two refs to the same actor have equal addresses; no two actors of one
 * node incarnation share one, and an actor keeps its address through its supervised restarts.
 *
 * <p>The incarnation is drawn anew each time a node (an {@link ActorSystem}) starts, as
 * Erlang's node creation is, so that an address kept from a node that has since restarted
 * never names an actor of the new one. On one node it is all that distinguishes two systems
 * of the same name. Under the deterministic dispatcher it comes from the seed, so that a
 * replay gives the same addresses.
 *
 * @param node the node's name (the actor system's)
 * @param incarnation the node's incarnation
 * @param id the actor's number on that node incarnation, 1 or more
 */
public record ActorAddress(String node, long incarnation, long id) {

    /** Checks the values. */
    public ActorAddress {
        Objects.requireNonNull(node, "node");
        if (node.isBlank() || id < 1) {
            throw new IllegalArgumentException("an actor address needs a node name and an id of 1 or more, got '"
                    + node + "' and " + id);
        }
    }

    /** @return e.g. {@code zbmd-training/5f3a…e1/42}: node, incarnation in hex, id */
    @Override
    public String toString() {
        return node + "/" + Long.toHexString(incarnation) + "/" + id;
    }
}
