package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Six shards' vectors summed on one, two and three nodes, with the shards spread over them in
 * different ways: every node ends with the single-process sum in shard order, bit for bit
 * (which a sum in another order does not give for these vectors). A participant that leaves
 * fails the round on the others instead of hanging it.
 */
class OrderedAllReduceTest {
    private static final String SECRET = "correct horse battery staple";
    private static final int SHARDS = 6;
    /** Three chunks, the last one short. */
    private static final int LENGTH = 2 * OrderedAllReduce.CHUNK_FLOATS + 12_345;
    private static final long HANG_GUARD_SECONDS = 120;

    private static final List<AutoCloseable> CLOSING = new ArrayList<>();
    private static final List<ClusterNode> NODES = new ArrayList<>();
    private static final List<OrderedAllReduce> REDUCERS = new ArrayList<>();
    private static List<float[]> shards;
    private static float[] expected;
    private static long rounds;

    @BeforeAll
    static void start() throws Exception {
        SplittableRandom random = new SplittableRandom(17);
        shards = new ArrayList<>();
        for (int s = 0; s < SHARDS; s++) {
            float[] shard = new float[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                // Magnitudes over six decades, so that the order of the additions shows in the bits.
                shard[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-3, 4)));
            }
            shards.add(shard);
        }
        expected = OrderedAllReduce.sumInShardOrder(shards);

        ClusterConfig config = ClusterConfig.loopback("reduce-" + ProcessHandle.current().pid(), SECRET);
        for (String name : List.of("node-a", "node-b", "node-c")) {
            ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName(name));
            CLOSING.add(system);
            CompletableFuture<ClusterEvent.MembersChanged> joined = new CompletableFuture<>();
            int size = NODES.size() + 1;
            CLOSING.add(system.events().subscribe(ClusterEvent.MembersChanged.class, e -> {
                if (e.members().size() == size) {
                    joined.complete(e);
                }
            }));
            ClusterNode node = ClusterNode.start(system, NODES.isEmpty() ? config
                    : config.withSeeds(List.of(NODES.getFirst().endpoint())));
            CLOSING.add(node);
            NODES.add(node);
            OrderedAllReduce reducer = new OrderedAllReduce(node);
            CLOSING.add(reducer);
            REDUCERS.add(reducer);
            joined.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : CLOSING.reversed()) {
            c.close();
        }
    }

    /**
     * Runs one round: participant j (a node index) holds {@code counts[j]} consecutive shards.
     *
     * @return every participant's result
     */
    private static List<float[]> reduce(int[] nodes, int[] counts) throws Exception {
        long round = ++rounds;
        List<Member> group = new ArrayList<>();
        for (int n : nodes) {
            group.add(NODES.get(n).self());
        }
        List<CompletableFuture<float[]>> results = new ArrayList<>();
        int next = 0;
        for (int j = 0; j < nodes.length; j++) {
            List<float[]> mine = shards.subList(next, next + counts[j]);
            next += counts[j];
            results.add(REDUCERS.get(nodes[j]).allReduce(round, group, mine, LENGTH));
        }
        assertThat(next).isEqualTo(SHARDS);
        List<float[]> sums = new ArrayList<>();
        for (CompletableFuture<float[]> result : results) {
            sums.add(result.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS));
        }
        return sums;
    }

    @Test
    void theOrderOfTheAdditionsShowsInTheBits() {
        List<float[]> rotated = new ArrayList<>(shards.subList(2, SHARDS));
        rotated.addAll(shards.subList(0, 2));
        assertThat(OrderedAllReduce.sumInShardOrder(rotated)).isNotEqualTo(expected);
    }

    @Test
    void oneTwoOrThreeNodesGiveTheSingleProcessSumBitForBit() throws Exception {
        assertThat(reduce(new int[] {0}, new int[] {6})).allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        assertThat(reduce(new int[] {0, 1}, new int[] {3, 3})).allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        assertThat(reduce(new int[] {0, 1, 2}, new int[] {2, 2, 2}))
                .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        assertThat(reduce(new int[] {2, 0, 1}, new int[] {1, 2, 3}))
                .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        assertThat(reduce(new int[] {1, 2}, new int[] {5, 1})).allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
    }

    @Test
    void roundsFollowEachOtherAndAParticipantAheadIsWaitedFor() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(reduce(new int[] {0, 1, 2}, new int[] {2, 2, 2}))
                    .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        }
    }

    @Test
    void aParticipantThatLeavesDuringTheRoundFailsItOnTheOthers() throws Exception {
        CompletableFuture<ClusterEvent.MembersChanged> four = new CompletableFuture<>();
        try (AutoCloseable watch = NODES.getFirst().system().events().subscribe(ClusterEvent.MembersChanged.class,
                        e -> {
                            if (e.members().size() == 4) {
                                four.complete(e);
                            }
                        });
                ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("node-d"))) {
            ClusterNode leaving = ClusterNode.start(system, ClusterConfig.loopback("reduce-"
                    + ProcessHandle.current().pid(), SECRET).withSeeds(List.of(NODES.getFirst().endpoint())));
            four.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            List<Member> group = List.of(NODES.get(0).self(), leaving.self());
            // Node a sends its partial sums to d, which never takes part and then leaves.
            CompletableFuture<float[]> result = REDUCERS.get(0).allReduce(++rounds, group, shards.subList(0, 3),
                    LENGTH);
            leaving.close();
            assertThatThrownBy(() -> result.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ClusterException.class)
                    .hasMessageContaining("node-d").hasMessageContaining("redo the step");
        }
        // The others go on with the members now.
        assertThat(reduce(new int[] {0, 1, 2}, new int[] {2, 2, 2}))
                .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
    }

    @Test
    void framesOfMoreThanTwoRoundsAheadAreRefused() throws Exception {
        // Frames as node b would send them for rounds node a has not started: two rounds wait,
        // a third is refused, so a confused or hostile member cannot fill a node's memory.
        List<byte[]> frames = new ArrayList<>();
        Remoting capture = new Remoting(NODES.get(1).system(), MessageTypes.builder().build(), (to, frame) ->
                frames.add(frame));
        for (long round = 1_000_000; round < 1_000_003; round++) {
            long r = round;
            capture.sendData(NODES.get(0).self(), out -> {
                out.writeByte(0); // a partial sum
                out.writeLong(r);
                out.writeInt(0);
                out.writeInt(1);
                out.writeFloat(1f);
            });
        }
        Remoting a = NODES.get(0).remoting();
        long refusedBefore = a.refusedFrames();
        for (byte[] frame : frames.subList(0, 2)) {
            a.receive(NODES.get(1).self(), frame, 0, frame.length);
        }
        assertThat(a.refusedFrames()).isEqualTo(refusedBefore);
        a.receive(NODES.get(1).self(), frames.get(2), 0, frames.get(2).length);
        assertThat(a.refusedFrames()).isEqualTo(refusedBefore + 1);
        // The next round started here drops what waited for rounds that will never come.
        assertThat(reduce(new int[] {0, 1, 2}, new int[] {2, 2, 2}))
                .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
        // Node a, in the middle of the chain, takes its predecessor's frames before it starts.
        assertThat(reduce(new int[] {1, 0, 2}, new int[] {2, 2, 2}))
                .allSatisfy(sum -> assertThat(sum).isEqualTo(expected));
    }

    @Test
    void aGroupWithAMemberOutsideTheViewFailsAtOnce() {
        Member stranger = new Member("stranger", 1);
        List<Member> group = List.of(NODES.get(0).self(), stranger);
        CompletableFuture<float[]> result = REDUCERS.get(0).allReduce(++rounds, group, shards.subList(0, 3), LENGTH);
        assertThatThrownBy(() -> result.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ClusterException.class)
                .hasMessageContaining("not all in the view");
    }
}
