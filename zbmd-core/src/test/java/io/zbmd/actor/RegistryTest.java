package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RegistryTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void namesAreUniqueAndReleasedWhenTheActorEnds(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Registry registry = driver.system.registry();
            CountDownLatch got = new CountDownLatch(1);
            ActorRef<String> first = driver.system.spawn("first", ctx -> m -> got.countDown());
            ActorRef<String> second = driver.system.spawn("second", ctx -> m -> {});
            registry.register("service", first);

            assertThat(registry.<String>whereis("service")).contains(first);
            assertThat(registry.names()).containsExactly("service");
            assertThatThrownBy(() -> registry.register("service", second))
                    .isInstanceOf(NameTakenException.class)
                    .hasMessageContaining("'service'")
                    .hasMessageContaining(first.path());
            registry.tell("service", "hello");
            driver.await(got);

            driver.system.stop(first);
            driver.awaitTermination(first);
            assertThat(registry.whereis("service")).isEmpty();
            assertThat(registry.names()).isEmpty();
            registry.register("service", second);
            assertThat(registry.<String>whereis("service")).contains(second);
            assertThat(registry.unregister("service")).isTrue();
            assertThat(registry.unregister("service")).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void badNamesAndDeadActorsAreRefused(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Registry registry = driver.system.registry();
            ActorRef<String> actor = driver.system.spawn("a", ctx -> m -> {});
            assertThatThrownBy(() -> registry.register(" ", actor))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            driver.system.stop(actor);
            driver.awaitTermination(actor);
            assertThatThrownBy(() -> registry.register("late", actor))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has ended");
            registry.tell("nobody", "hi");
            assertThat(driver.system.metrics().deadLetters(DeadLetterReason.UNKNOWN_NAME)).isEqualTo(1);
        }
    }
}
