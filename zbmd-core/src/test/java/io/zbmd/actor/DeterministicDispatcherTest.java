package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeterministicDispatcherTest {

    /** Four producers and a relay race to a sink; the sink's log is the interleaving. */
    static List<String> trace(long seed) {
        List<String> log = new ArrayList<>();
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.deterministic(seed).withReductionsPerTurn(3))) {
            ActorRef<String> sink = system.spawn("sink", ctx -> log::add);
            ActorRef<String> relay = system.spawn("relay", ctx -> m -> sink.tell("relayed " + m));
            List<ActorRef<String>> producers = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                String name = "p" + p;
                producers.add(system.spawn(name, ctx -> m -> {
                    for (int i = 0; i < 5; i++) {
                        sink.tell(name + ":" + m + i);
                        relay.tell(name + i);
                    }
                }));
            }
            for (int round = 0; round < 3; round++) {
                for (ActorRef<String> producer : producers) {
                    producer.tell("r" + round);
                }
            }
            system.deterministic().runUntilIdle();
        }
        return log;
    }

    @Test
    void theSameSeedReplaysTheSameInterleaving() {
        List<String> first = trace(12345);
        assertThat(first).hasSize(4 * 3 * 5 * 2);
        assertThat(trace(12345)).isEqualTo(first);
    }

    @Test
    void differentSeedsExploreDifferentInterleavings() {
        Set<List<String>> traces = new HashSet<>();
        for (long seed = 1; seed <= 8; seed++) {
            traces.add(trace(seed));
        }
        assertThat(traces).hasSizeGreaterThan(1);
    }

    @Test
    void onlyADeterministicSystemCanBeDriven() {
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withWorkers(1))) {
            assertThatThrownBy(system::deterministic)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("ActorSystemConfig.deterministic(seed)");
        }
    }
}
