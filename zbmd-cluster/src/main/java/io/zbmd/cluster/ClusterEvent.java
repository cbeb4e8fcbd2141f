package io.zbmd.cluster;

import java.util.List;

/** What a node publishes on its actor system's event stream about its cluster. */
public sealed interface ClusterEvent {

    /**
     * The members changed: a new view of the cluster, numbered, oldest member first.
     *
     * @param viewId the view's number; later views have larger ones on each member
     * @param members the members, oldest first
     * @param joined the members this node had not seen in its previous view
     * @param left the members of the previous view that are gone (left, died, or on the other
     *     side of a partition)
     */
    record MembersChanged(long viewId, List<Member> members, List<Member> joined, List<Member> left)
            implements ClusterEvent {
        /** Copies the lists. */
        public MembersChanged {
            members = List.copyOf(members);
            joined = List.copyOf(joined);
            left = List.copyOf(left);
        }
    }

    /**
     * This node refused a node that asked to join or merge without the cluster's secret.
     *
     * @param from the refused node, as the network named it
     * @param request what it asked (join, merge, or an answer to either)
     */
    record Refused(String from, String request) implements ClusterEvent {}

    /**
     * Raft committed a training group's next epoch, and this node applied it (every node
     * applies the same epochs in the same order).
     *
     * @param epoch the epoch, its number and members in shard order
     */
    record EpochCommitted(ClusterState.Epoch epoch) implements ClusterEvent {}

    /**
     * This node became the Raft leader (or stopped being it).
     *
     * @param leader whether it leads now
     */
    record Leading(boolean leader) implements ClusterEvent {}
}
