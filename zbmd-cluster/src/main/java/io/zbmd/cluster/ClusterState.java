package io.zbmd.cluster;

import io.zbmd.actor.EventStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jgroups.raft.Options;
import org.jgroups.raft.RaftHandle;
import org.jgroups.raft.StateMachine;

/**
 * The cluster's authoritative state, held by Raft (jgroups-raft) on the voting nodes: the
 * training group, its epoch and its members in shard order. Only a committed epoch changes who
 * trains: a node proposes the next epoch (compare-and-set on the epoch's number), the Raft
 * leader commits it to a majority of the voters, and every node that applies it publishes a
 * {@link ClusterEvent.EpochCommitted} on its event stream, in the same order everywhere.
 *
 * <p>jgroups-raft is one team's library; zbmd uses it through this class only, so that it can
 * be replaced (Apache Ratis was the fallback measured here).
 */
public final class ClusterState {
    private static final byte PROPOSE = 1;

    /**
     * A training group's epoch.
     *
     * @param number the epoch's number, one more at each commit (0: none committed yet)
     * @param members the members that train in it, in shard order
     */
    public record Epoch(long number, List<Member> members) {
        /** Copies the list. */
        public Epoch {
            members = List.copyOf(members);
        }
    }

    private final RaftHandle raft;
    private final Machine machine;

    ClusterState(RaftHandle raft, Machine machine) {
        this.raft = raft;
        this.machine = machine;
    }

    /** @return the epoch this node has applied (it may lag the leader's by what is in flight) */
    public Epoch committed() {
        return machine.current();
    }

    /** @return whether this node is the Raft leader now */
    public boolean isLeader() {
        return raft.isLeader();
    }

    /**
     * Proposes the next epoch: committed only if the current one is still {@code current}.
     *
     * @param current the epoch number the proposer saw
     * @param members the members of the next epoch, in shard order
     * @return the committed epoch; fails with a {@link ClusterException} if another proposal
     *     got in first (its message names the epoch now) or no leader could commit it (then ask
     *     again once a leader is elected)
     */
    public CompletableFuture<Epoch> propose(long current, List<Member> members) {
        byte[] command;
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(PROPOSE);
            out.writeLong(current);
            writeMembers(out, members);
            command = bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("bug: writing to memory failed", e);
        }
        CompletableFuture<byte[]> answer;
        try {
            answer = raft.setAsync(command, 0, command.length, Options.DEFAULT_OPTIONS);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(new ClusterException("cannot propose epoch " + (current + 1) + ": "
                    + e.getMessage() + "; ask again once a leader is elected", e));
        }
        return answer.handle((result, error) -> {
            if (error != null) {
                throw new ClusterException("epoch " + (current + 1) + " was not committed: " + error.getMessage()
                        + "; ask again once a leader is elected", error);
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(result));
                boolean accepted = in.readBoolean();
                Epoch now = new Epoch(in.readLong(), readMembers(in));
                if (!accepted) {
                    throw new ClusterException("epoch " + (current + 1) + " was not committed: the epoch is "
                            + now.number() + " now, with " + now.members(), null);
                }
                return now;
            } catch (IOException e) {
                throw new ClusterException("a malformed answer from the leader", e);
            }
        });
    }

    private static void writeMembers(DataOutput out, List<Member> members) throws IOException {
        out.writeInt(members.size());
        for (Member member : members) {
            out.writeUTF(member.node());
            out.writeLong(member.incarnation());
        }
    }

    private static List<Member> readMembers(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 10_000) {
            throw new IOException("a group of " + n + " members");
        }
        List<Member> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            members.add(new Member(in.readUTF(), in.readLong()));
        }
        return members;
    }

    /** The replicated state machine: the epoch, changed only by commands Raft has committed. */
    static final class Machine implements StateMachine {
        private final EventStream events;
        private volatile Epoch current = new Epoch(0, List.of());

        Machine(EventStream events) {
            this.events = events;
        }

        Epoch current() {
            return current;
        }

        @Override
        public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) throws Exception {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, length));
            if (in.readByte() != PROPOSE) {
                throw new IOException("an unknown command");
            }
            long expected = in.readLong();
            List<Member> members = readMembers(in);
            boolean accepted = expected == current.number();
            if (accepted) {
                current = new Epoch(expected + 1, members);
                events.publish(new ClusterEvent.EpochCommitted(current));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeBoolean(accepted);
            out.writeLong(current.number());
            writeMembers(out, current.members());
            return bytes.toByteArray();
        }

        @Override
        public void readContentFrom(DataInput in) throws Exception {
            current = new Epoch(in.readLong(), readMembers(in));
        }

        @Override
        public void writeContentTo(DataOutput out) throws Exception {
            Epoch now = current;
            out.writeLong(now.number());
            writeMembers(out, now.members());
        }
    }
}
