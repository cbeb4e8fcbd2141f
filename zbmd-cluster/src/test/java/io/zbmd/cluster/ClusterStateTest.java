package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three voters hold the training group's epoch by Raft: an epoch proposed on any node is
 * committed once and applied everywhere in order; a stale proposal is refused with the epoch
 * now; when the leader leaves, the other two elect a new one and go on committing.
 */
class ClusterStateTest {
    private static final String SECRET = "correct horse battery staple";
    private static final List<String> VOTERS = List.of("voter-a", "voter-b", "voter-c");
    private static final long HANG_GUARD_SECONDS = 60;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<ClusterNode> nodes = new ArrayList<>();
    private final List<ActorSystem> systems = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    }

    /** @return completes at the first event of {@code type} on {@code system} that {@code test} accepts */
    private <E> CompletableFuture<E> next(ActorSystem system, Class<E> type, java.util.function.Predicate<E> test) {
        CompletableFuture<E> seen = new CompletableFuture<>();
        closing.add(system.events().subscribe(type, event -> {
            if (test.test(event)) {
                seen.complete(event);
            }
        }));
        return seen;
    }

    private void startThree() throws Exception {
        ClusterConfig config = ClusterConfig.loopback("state-" + ProcessHandle.current().pid(), SECRET)
                .withVoters(VOTERS).withFailureTimeout(java.time.Duration.ofSeconds(1));
        List<CompletableFuture<ClusterEvent.Leading>> leaders = new ArrayList<>();
        for (String name : VOTERS) {
            ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName(name));
            closing.add(system);
            systems.add(system);
            leaders.add(next(system, ClusterEvent.Leading.class, ClusterEvent.Leading::leader));
            ClusterNode node = ClusterNode.start(system, nodes.isEmpty() ? config
                    : config.withSeeds(List.of(nodes.getFirst().endpoint())));
            closing.add(node);
            nodes.add(node);
        }
        await(CompletableFuture.anyOf(leaders.toArray(CompletableFuture[]::new)));
    }

    private ClusterState state(int i) {
        return nodes.get(i).state().orElseThrow();
    }

    @Test
    void anEpochIsCommittedOnceAndAppliedEverywhereInOrder() throws Exception {
        startThree();
        List<CompletableFuture<ClusterEvent.EpochCommitted>> applied = new ArrayList<>();
        for (ActorSystem system : systems) {
            applied.add(next(system, ClusterEvent.EpochCommitted.class, e -> e.epoch().number() == 2));
        }
        List<Member> all = nodes.stream().map(ClusterNode::self).toList();

        ClusterState.Epoch first = await(state(1).propose(0, all));
        assertThat(first).isEqualTo(new ClusterState.Epoch(1, all));
        assertThatThrownBy(() -> await(state(2).propose(0, all.subList(0, 1))))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("the epoch is 1 now");
        ClusterState.Epoch second = await(state(2).propose(1, all.reversed()));
        assertThat(second.number()).isEqualTo(2);

        for (int i = 0; i < 3; i++) {
            assertThat(await(applied.get(i)).epoch()).isEqualTo(new ClusterState.Epoch(2, all.reversed()));
            assertThat(state(i).committed()).isEqualTo(second);
            // Raft's protocols in the stack leave the members as the nodes name themselves.
            assertThat(nodes.get(i).members()).containsExactlyElementsOf(all);
        }
    }

    @Test
    void whenTheLeaderLeavesTheOthersElectAnotherAndGoOn() throws Exception {
        startThree();
        List<Member> all = nodes.stream().map(ClusterNode::self).toList();
        await(state(0).propose(0, all));
        int leader = -1;
        for (int i = 0; i < 3; i++) {
            if (state(i).isLeader()) {
                leader = i;
            }
        }
        assertThat(leader).as("a leader among the three").isNotNegative();
        List<Integer> others = new ArrayList<>(List.of(0, 1, 2));
        others.remove(Integer.valueOf(leader));
        List<CompletableFuture<ClusterEvent.Leading>> elected = new ArrayList<>();
        for (int i : others) {
            elected.add(next(systems.get(i), ClusterEvent.Leading.class, ClusterEvent.Leading::leader));
        }

        nodes.get(leader).close();
        await(CompletableFuture.anyOf(elected.toArray(CompletableFuture[]::new)));
        int newLeader = elected.get(0).isDone() ? others.get(0) : others.get(1);
        List<Member> survivors = others.stream().map(i -> nodes.get(i).self()).toList();
        ClusterState.Epoch next = await(state(newLeader).propose(1, survivors));
        assertThat(next).isEqualTo(new ClusterState.Epoch(2, survivors));
        assertThat(state(newLeader).committed()).isEqualTo(next);
    }

    @Test
    void aNodeThatIsNotAVoterOffersNoState() throws Exception {
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("bystander"));
                ClusterNode node = ClusterNode.start(system, ClusterConfig.loopback("state-none-"
                        + ProcessHandle.current().pid(), SECRET).withVoters(VOTERS))) {
            assertThat(node.state()).isEmpty();
        }
    }
}
