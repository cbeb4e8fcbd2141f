package io.zbmd.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.Signal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real failures of a real node: another JVM joins this one's cluster and is killed with
 * {@code kill -9}, or stopped with {@code SIGSTOP} and later continued. The survivor's view
 * drops it (at once for a killed process, whose connections close; after the failure timeout
 * for a hung one), and the survivor's link and monitor of an actor on it each deliver
 * {@code noconnection} once; a continued node merges back.
 */
class NodeFailureTest {
    private static final Logger LOG = LoggerFactory.getLogger(NodeFailureTest.class);
    private static final String SECRET = "correct horse battery staple";
    private static final Duration FAILURE = Duration.ofMillis(1000);
    /** Guards against a hang only; nothing waits for a time to decide anything. */
    private static final long HANG_GUARD_SECONDS = 120;

    private ActorSystem system;
    private ClusterNode survivor;
    private Process other;

    @AfterEach
    void close() {
        if (other != null) {
            other.destroyForcibly();
        }
        if (survivor != null) {
            survivor.close();
        }
        if (system != null) {
            system.close();
        }
    }

    private String startPair(String cluster) throws Exception {
        system = ActorSystem.create(ActorSystemConfig.defaults().withName("survivor"));
        CompletableFuture<ClusterEvent.MembersChanged> two = change(e -> e.members().size() == 2);
        survivor = ClusterNode.start(system, ClusterConfig.loopback(cluster, SECRET).withFailureTimeout(FAILURE),
                RemoteActorsTest.TYPES);
        other = NodeProcess.launch("victim", cluster, SECRET, FAILURE, survivor.endpoint().getPort());
        BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("member ")) {
            LOG.debug("victim: {}", line);
        }
        assertThat(line).as("the node JVM's output ended before it joined").isNotNull();
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> LOG.debug("victim: {}", l)));
        ClusterEvent.MembersChanged joined = await(two);
        assertThat(joined.members().get(1).node()).isEqualTo("victim");
        assertThat(joined.members().get(1).incarnation()).isEqualTo(Long.parseLong(line.substring(7)));
        return line;
    }

    private CompletableFuture<ClusterEvent.MembersChanged> change(Predicate<ClusterEvent.MembersChanged> test) {
        CompletableFuture<ClusterEvent.MembersChanged> seen = new CompletableFuture<>();
        AutoCloseable subscription = system.events().subscribe(ClusterEvent.MembersChanged.class, event -> {
            if (test.test(event)) {
                seen.complete(event);
            }
        });
        return seen.whenComplete((event, error) -> {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // already closed
            }
        });
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aNodeKilledWithKill9LeavesTheViewAndItsActorsLinksAndMonitorsGetNoconnectionOnce() throws Exception {
        startPair("kill-" + ProcessHandle.current().pid());
        Member victim = survivor.members().get(1);
        ActorRef<Object> echo = await(survivor.<Object>whereis(victim, "echo")).orElseThrow();
        assertThat(await(echo.<RemoteActorsTest.Pong>ask(replyTo -> new RemoteActorsTest.Ping(3, replyTo),
                Duration.ofSeconds(30)))).isEqualTo(new RemoteActorsTest.Pong(3, "victim"));
        RemoteActorsTest.Watching watching = RemoteActorsTest.watchAndLink(system, "watcher", echo);

        CompletableFuture<ClusterEvent.MembersChanged> dropped = change(e -> e.left().contains(victim));
        long killed = System.nanoTime();
        other.destroyForcibly(); // SIGKILL on Linux
        ClusterEvent.MembersChanged after = await(dropped);
        LOG.info("kill -9 to a view without the node: {} ms", (System.nanoTime() - killed) / 1_000_000);
        assertThat(after.members()).containsExactly(survivor.self());
        await(watching.signalled());
        watching.roundTrip();
        List<Signal> signals = watching.signals();
        assertThat(signals).hasSize(2);
        assertThat(signals).contains(new Signal.Exit(echo, ClusterNode.NOCONNECTION));
        assertThat(signals).anySatisfy(s -> assertThat(s).isInstanceOfSatisfying(Signal.Down.class,
                down -> assertThat(down.reason()).isEqualTo(ClusterNode.NOCONNECTION)));
        assertThat(other.waitFor(HANG_GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(other.exitValue()).isEqualTo(137);
    }

    @Test
    void aHungNodeIsDroppedAndMergesBackWhenItContinues() throws Exception {
        startPair("stop-" + ProcessHandle.current().pid());
        Member victim = survivor.members().get(1);
        CompletableFuture<ClusterEvent.MembersChanged> dropped = change(e -> e.left().contains(victim));
        long stopped = System.nanoTime();
        NodeProcess.signal(other, "STOP");
        ClusterEvent.MembersChanged alone = await(dropped);
        LOG.info("SIGSTOP to a view without the node: {} ms", (System.nanoTime() - stopped) / 1_000_000);
        assertThat(alone.members()).containsExactly(survivor.self());

        CompletableFuture<ClusterEvent.MembersChanged> merged = change(e -> e.members().contains(victim));
        NodeProcess.signal(other, "CONT");
        assertThat(await(merged).members()).containsExactlyInAnyOrder(survivor.self(), victim);
    }
}
