package io.zbmd.cluster;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Sums vectors across nodes, one per shard of a fixed number of shards, in shard order: the
 * result has the bits of {@link #sumInShardOrder}, the same fold a single process does, on
 * however many nodes the shards are spread. Floating-point addition is not associative, so
 * the order is the whole point; a ring all-reduce, whose partial sums start at a different
 * node for each chunk, adds in a rotated order and changes the bits.
 *
 * <p>The group lists the participants in shard order; each holds a run of consecutive shards
 * (the first participant the first shards). The vector is cut into chunks of
 * {@value #CHUNK_FLOATS} floats. Reduce: each chunk's partial sum starts at zero on the first
 * participant, which adds its shards and passes it to the second, which adds its own, and so
 * on to the last, which then holds the chunk's sum; chunks follow each other down this chain
 * as in a pipeline, so every link carries the vector once. Gather: the sums go on around the
 * ring, from the last participant to the first and down to the one before the last. Each
 * participant sends the vector about twice, as in a ring all-reduce.
 *
 * <p>Frames travel on the cluster's channel, whose flow control bounds what is in flight.
 * A frame for a round this node has not started yet (another participant is ahead) waits for
 * it; a participant can be at most one round ahead, because each round needs the last one's
 * sum, so frames of more than two such rounds are refused (memory stays bounded). If a participant leaves the view during a round, the round fails with a
 * {@link ClusterException} on every other participant: the caller redoes the step with the
 * new group. Thread-safe.
 */
public final class OrderedAllReduce implements AutoCloseable {
    /** Floats per chunk (256 KiB frames). */
    public static final int CHUNK_FLOATS = 1 << 16;
    /** Rounds whose frames may wait here at once: one ahead, and one for slack around a failure. */
    private static final int MOST_EARLY_ROUNDS = 2;
    private static final byte PARTIAL = 0;
    private static final byte SUM = 1;

    private final ClusterNode node;
    private final AutoCloseable subscription;
    private final Map<Long, Round> rounds = new HashMap<>();
    /** Frames of rounds not started here yet, by round. */
    private final Map<Long, List<Frame>> early = new HashMap<>();

    private record Frame(Member from, byte phase, int chunk, float[] values) {}

    /** @param node the cluster node whose channel the frames take */
    public OrderedAllReduce(ClusterNode node) {
        this.node = node;
        node.remoting().onData(this::receive);
        this.subscription = node.system().events().subscribe(ClusterEvent.MembersChanged.class, this::membersChanged);
    }

    /**
     * The single-process sum: zero, then each shard added in order, element by element.
     *
     * @param shards the vectors, in shard order, all of one length
     * @return their sum
     */
    public static float[] sumInShardOrder(List<float[]> shards) {
        float[] sum = new float[shards.getFirst().length];
        for (float[] shard : shards) {
            add(sum, shard, 0, sum.length);
        }
        return sum;
    }

    /** sum[i] += shard[from + i] for the chunk. */
    private static void add(float[] sum, float[] shard, int from, int count) {
        for (int i = 0; i < count; i++) {
            sum[i] += shard[from + i];
        }
    }

    /**
     * Sums this node's shards with the other participants' in shard order.
     *
     * @param round the round's number, the same on every participant and new each time (the step)
     * @param group the participants in shard order; this node among them
     * @param shards this node's shards, in order, each of {@code length} floats
     * @param length the vectors' length
     * @return the sum of every participant's shards, in shard order
     */
    public CompletableFuture<float[]> allReduce(long round, List<Member> group, List<float[]> shards, int length) {
        Objects.requireNonNull(group, "group");
        int position = group.indexOf(node.self());
        if (position < 0) {
            throw new IllegalArgumentException(node.self() + " is not in the group " + group);
        }
        for (float[] shard : shards) {
            if (shard.length != length) {
                throw new IllegalArgumentException("a shard of " + shard.length + " floats in a reduction of " + length);
            }
        }
        Round r = new Round(round, List.copyOf(group), position, List.copyOf(shards), length);
        List<Frame> waiting;
        synchronized (this) {
            if (rounds.containsKey(round)) {
                throw new IllegalStateException("round " + round + " is already under way");
            }
            rounds.put(round, r);
            waiting = early.remove(round);
            // Only the next round's frames can still come to use (a participant one round ahead).
            early.keySet().removeIf(other -> other != round + 1);
        }
        r.done.whenComplete((sum, error) -> {
            synchronized (this) {
                rounds.remove(round);
            }
        });
        if (!node.members().containsAll(group)) {
            r.done.completeExceptionally(new ClusterException("round " + round + ": the group " + group
                    + " is not all in the view " + node.members(), null));
            return r.done;
        }
        if (position == 0) {
            for (int chunk = 0; chunk < r.chunks; chunk++) {
                r.partial(chunk, new float[r.chunkLength(chunk)]);
            }
        }
        if (waiting != null) {
            waiting.forEach(r::frame);
        }
        return r.done;
    }

    private void receive(Member from, DataInputStream in) throws IOException {
        byte phase = in.readByte();
        long round = in.readLong();
        int chunk = in.readInt();
        int count = in.readInt();
        if (phase != PARTIAL && phase != SUM || chunk < 0 || count < 0 || count > CHUNK_FLOATS
                || in.available() != 4 * count) {
            throw new IOException("a malformed reduction frame (phase " + phase + ", chunk " + chunk + ", " + count
                    + " floats, " + in.available() + " bytes)");
        }
        byte[] bytes = new byte[4 * count];
        in.readFully(bytes);
        float[] values = new float[count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        Frame frame = new Frame(from, phase, chunk, values);
        Round r;
        synchronized (this) {
            r = rounds.get(round);
            if (r == null) {
                if (!early.containsKey(round) && early.size() >= MOST_EARLY_ROUNDS) {
                    throw new IOException("frames for round " + round + " while " + early.keySet() + " wait to"
                            + " start; a participant is never more than one round ahead");
                }
                early.computeIfAbsent(round, k -> new ArrayList<>()).add(frame);
                return;
            }
        }
        r.frame(frame);
    }

    private void send(Member to, byte phase, long round, int chunk, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        if (!node.remoting().sendData(to, out -> {
            out.writeByte(phase);
            out.writeLong(round);
            out.writeInt(chunk);
            out.writeInt(values.length);
            out.write(bytes.array());
        })) {
            fail(round, new ClusterException("round " + round + ": " + to + " is not a member now", null));
        }
    }

    private void fail(long round, ClusterException failure) {
        Round r;
        synchronized (this) {
            r = rounds.get(round);
        }
        if (r != null) {
            r.done.completeExceptionally(failure);
        }
    }

    private void membersChanged(ClusterEvent.MembersChanged change) {
        List<Round> lost = new ArrayList<>();
        synchronized (this) {
            for (Round r : rounds.values()) {
                if (!change.members().containsAll(r.group)) {
                    lost.add(r);
                }
            }
            early.clear(); // frames of rounds that will be redone with a new group
        }
        for (Round r : lost) {
            List<Member> gone = new ArrayList<>(r.group);
            gone.removeAll(change.members());
            r.done.completeExceptionally(new ClusterException("round " + r.id + ": " + gone + " left the cluster"
                    + " during the reduction; redo the step with the members now", null));
        }
    }

    /** Stops taking frames; rounds under way never complete. */
    @Override
    public void close() throws Exception {
        node.remoting().onData(null);
        subscription.close();
    }

    /** One reduction on this node. */
    private final class Round {
        final long id;
        final List<Member> group;
        final int position;
        final List<float[]> shards;
        final int length;
        final int chunks;
        final float[] sum;
        final CompletableFuture<float[]> done = new CompletableFuture<>();
        private final boolean[] summed;
        private int remaining;

        Round(long id, List<Member> group, int position, List<float[]> shards, int length) {
            this.id = id;
            this.group = group;
            this.position = position;
            this.shards = shards;
            this.length = length;
            this.chunks = Math.max(1, (length + CHUNK_FLOATS - 1) / CHUNK_FLOATS);
            this.sum = new float[length];
            this.summed = new boolean[chunks];
            this.remaining = chunks;
        }

        int chunkLength(int chunk) {
            return Math.min(CHUNK_FLOATS, length - chunk * CHUNK_FLOATS);
        }

        void frame(Frame frame) {
            int expectedFrom = frame.phase() == PARTIAL ? position - 1 : Math.floorMod(position - 1, group.size());
            if (frame.chunk() >= chunks || frame.values().length != chunkLength(frame.chunk())
                    || expectedFrom < 0 || !group.get(expectedFrom).equals(frame.from())) {
                done.completeExceptionally(new ClusterException("round " + id + ": a frame from " + frame.from()
                        + " that does not fit the round (chunk " + frame.chunk() + ")", null));
                return;
            }
            if (frame.phase() == PARTIAL) {
                partial(frame.chunk(), frame.values());
            } else {
                summed(frame.chunk(), frame.values(), true);
            }
        }

        /** Adds this node's shards to a chunk's partial sum and passes it on, or keeps it as the sum. */
        void partial(int chunk, float[] partial) {
            int from = chunk * CHUNK_FLOATS;
            for (float[] shard : shards) {
                add(partial, shard, from, partial.length);
            }
            if (position == group.size() - 1) {
                summed(chunk, partial, false);
            } else {
                send(group.get(position + 1), PARTIAL, id, chunk, partial);
            }
        }

        /** A chunk's sum: kept, and passed on around the ring unless the next one has it. */
        void summed(int chunk, float[] values, boolean received) {
            int last = group.size() - 1;
            int next = (position + 1) % group.size();
            if (group.size() > 1 && next != last) {
                send(group.get(next), SUM, id, chunk, values);
            }
            boolean complete;
            synchronized (this) {
                if (summed[chunk]) {
                    return;
                }
                summed[chunk] = true;
                System.arraycopy(values, 0, sum, chunk * CHUNK_FLOATS, values.length);
                complete = --remaining == 0;
            }
            if (complete) {
                done.complete(sum);
            }
        }
    }
}
