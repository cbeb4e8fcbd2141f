package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes on loopback, in this JVM: they find each other through a seed, agree on the members,
 * see one leave, and refuse a node without the cluster's secret.
 */
class ClusterNodeTest {
    private static final String SECRET = "correct horse battery staple";
    /** Guards against a hang only; nothing waits for a time to decide anything. */
    private static final long HANG_GUARD_SECONDS = 60;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private ActorSystem system(String name) {
        ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName(name));
        closing.add(system);
        return system;
    }

    private ClusterNode node(ActorSystem system, ClusterConfig config) {
        ClusterNode node = ClusterNode.start(system, config);
        closing.add(node);
        return node;
    }

    /** @return the first membership change of {@code system} that {@code test} accepts, from now on */
    private static CompletableFuture<ClusterEvent.MembersChanged> change(ActorSystem system,
            Predicate<ClusterEvent.MembersChanged> test) {
        CompletableFuture<ClusterEvent.MembersChanged> seen = new CompletableFuture<>();
        AutoCloseable[] subscription = new AutoCloseable[1];
        subscription[0] = system.events().subscribe(ClusterEvent.MembersChanged.class, event -> {
            if (test.test(event)) {
                seen.complete(event);
            }
        });
        return seen.whenComplete((event, error) -> {
            try {
                subscription[0].close();
            } catch (Exception ignored) {
                // a closed subscription
            }
        });
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void nodesJoinThroughASeedAgreeOnTheMembersAndSeeOneLeave() throws Exception {
        ActorSystem a = system("node-a");
        ActorSystem b = system("node-b");
        ActorSystem c = system("node-c");
        ClusterConfig base = ClusterConfig.loopback("test-" + ProcessHandle.current().pid(), SECRET);
        CompletableFuture<ClusterEvent.MembersChanged> threeOnA = change(a, e -> e.members().size() == 3);
        ClusterNode first = node(a, base);
        ClusterConfig joining = base.withSeeds(List.of(first.endpoint()));
        CompletableFuture<ClusterEvent.MembersChanged> threeOnB = change(b, e -> e.members().size() == 3);
        ClusterNode second = node(b, joining);
        ClusterNode third = node(c, joining);

        ClusterEvent.MembersChanged onA = await(threeOnA);
        ClusterEvent.MembersChanged onB = await(threeOnB);
        List<Member> expected = List.of(new Member("node-a", a.incarnation()), new Member("node-b", b.incarnation()),
                new Member("node-c", c.incarnation()));
        assertThat(onA.members()).containsExactlyElementsOf(expected);
        assertThat(onB.members()).containsExactlyElementsOf(expected);
        assertThat(onA.viewId()).isEqualTo(onB.viewId());
        assertThat(onA.joined()).containsExactly(third.self());
        assertThat(third.members()).containsExactlyElementsOf(expected);
        assertThat(second.self()).isEqualTo(new Member("node-b", b.incarnation()));

        CompletableFuture<ClusterEvent.MembersChanged> leftOnA = change(a, e -> !e.left().isEmpty());
        third.close();
        ClusterEvent.MembersChanged gone = await(leftOnA);
        assertThat(gone.left()).containsExactly(third.self());
        assertThat(gone.members()).containsExactly(first.self(), second.self());
        assertThat(first.refused()).isZero();
    }

    @Test
    void aNodeWithoutTheSecretIsRefusedAndTheMembersStayAsTheyWere() throws Exception {
        ActorSystem a = system("node-a");
        ActorSystem intruder = system("intruder");
        ClusterConfig config = ClusterConfig.loopback("test-" + ProcessHandle.current().pid() + "-refuse", SECRET);
        ClusterNode member = node(a, config);
        CompletableFuture<ClusterEvent.Refused> refused = new CompletableFuture<>();
        closing.add(a.events().subscribe(ClusterEvent.Refused.class, refused::complete));

        ClusterConfig wrong = config.withSecret("not the secret at all").withSeeds(List.of(member.endpoint()));
        assertThatThrownBy(() -> ClusterNode.start(intruder, wrong)).isInstanceOf(ClusterException.class)
                .hasMessageContaining("refused node intruder")
                .hasMessageContaining("same secret");

        assertThat(await(refused).request()).isEqualTo("join request");
        assertThat(member.refused()).isPositive();
        assertThat(member.members()).containsExactly(member.self());
    }

    @Test
    void aBadConfigurationNamesTheValueAndNeverPrintsTheSecret() {
        assertThatThrownBy(() -> ClusterConfig.loopback("c", "short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 characters").hasMessageContaining("at least 16");
        assertThatThrownBy(() -> ClusterConfig.loopback("c", SECRET).withPort(70_000))
                .hasMessageContaining("port 70000");
        assertThatThrownBy(() -> ClusterConfig.loopback("c", SECRET).withPorts(65_000, 1_000))
                .hasMessageContaining("port range 1000 from port 65000");
        assertThatThrownBy(() -> ClusterConfig.loopback(" ", SECRET)).hasMessageContaining("cluster name is empty");
        assertThat(ClusterConfig.loopback("c", SECRET).toString()).doesNotContain(SECRET).contains("28 characters");
    }
}
