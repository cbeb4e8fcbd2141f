package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ActorSystemConfigTest {

    @Test
    void defaultsAreValidAndNamed() {
        ActorSystemConfig config = ActorSystemConfig.defaults();
        assertThat(config.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.mailboxCapacity()).isEqualTo(1024);
        assertThat(config.reductionsPerTurn()).isEqualTo(64);
        assertThat(config.faultInjection().enabled()).isFalse();
    }

    @Test
    void nonsenseValuesFailNamingTheField() {
        ActorSystemConfig base = ActorSystemConfig.defaults();
        assertThatThrownBy(() -> base.withWorkers(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ActorSystemConfig.workers")
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> base.withMailboxCapacity((1 << 30) + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ActorSystemConfig.mailboxCapacity")
                .hasMessageContaining("use 1073741824");
        assertThat(base.withMailboxCapacity(1000).mailboxCapacity()).as("any bound is exact").isEqualTo(1000);
        assertThatThrownBy(() -> base.withMailboxCapacity(-1))
                .hasMessageContaining("ActorSystemConfig.mailboxCapacity");
        assertThatThrownBy(() -> base.withReductionsPerTurn(0))
                .hasMessageContaining("ActorSystemConfig.reductionsPerTurn");
        assertThatThrownBy(() -> base.withShutdownTimeout(Duration.ZERO))
                .hasMessageContaining("ActorSystemConfig.shutdownTimeout");
        assertThatThrownBy(() -> base.withName(" "))
                .hasMessageContaining("ActorSystemConfig.name");
        assertThatThrownBy(() -> base.withDispatcher(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ActorSystemConfig.dispatcher");
        assertThatThrownBy(() -> SpawnOptions.named("x").withMailboxCapacity(-2))
                .hasMessageContaining("SpawnOptions.mailboxCapacity");
        assertThatThrownBy(() -> FaultInjection.seeded(1).withDropRate(1.5))
                .hasMessageContaining("FaultInjection.dropRate");
    }

    @Test
    void createRejectsNullConfig() {
        assertThatThrownBy(() -> ActorSystem.create(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ActorSystemConfig.defaults()");
    }
}
