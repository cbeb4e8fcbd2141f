package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The context is an object of its own, usable only from its actor's turn. */
class ActorContextTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    record Hand(CompletableFuture<ActorContext<Hand>> to) {}

    @ParameterizedTest
    @MethodSource("configs")
    void aRefIsNotAContextAndTheContextNamesItsActor(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Hand> actor = driver.system.spawn("holder", ctx -> hand -> hand.to().complete(ctx));
            CompletableFuture<ActorContext<Hand>> handed = new CompletableFuture<>();
            actor.tell(new Hand(handed));
            ActorContext<Hand> context = driver.await(handed);

            assertThat(actor).isNotInstanceOf(ActorContext.class);
            assertThat(context).isNotInstanceOf(ActorRef.class);
            assertThat(context.self()).isSameAs(actor);
            assertThat(context.system()).isSameAs(driver.system);
            assertThat(context.toString()).contains(actor.path());
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aContextUsedOutsideItsActorsTurnFailsNamingTheActorAndLeavesItRunning(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            AtomicReference<ActorRef<Integer>> spawned = new AtomicReference<>();
            ActorRef<Hand> actor = driver.system.spawn("leaky", ctx -> hand -> hand.to().complete(ctx));
            CompletableFuture<ActorContext<Hand>> handed = new CompletableFuture<>();
            actor.tell(new Hand(handed));
            ActorContext<Hand> escaped = driver.await(handed);

            // The test thread is not the actor's turn: everything that changes the actor is refused.
            assertThatThrownBy(() -> spawned.set(escaped.spawn("child", ctx -> m -> {})))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(actor.path())
                    .hasMessageContaining(Thread.currentThread().getName())
                    .hasMessageContaining("outside the actor's turn");
            assertThatThrownBy(() -> escaped.timers()).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> escaped.link(actor)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> escaped.monitor(actor)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(escaped::stopSelf).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> escaped.sendAfter(actor, new Hand(new CompletableFuture<>()), Duration.ZERO))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(spawned.get()).isNull();

            // The actor itself is untouched and still answers, with the same context.
            CompletableFuture<ActorContext<Hand>> again = new CompletableFuture<>();
            actor.tell(new Hand(again));
            assertThat(driver.await(again)).isSameAs(escaped);
            assertThat(driver.system.metrics().actorsAlive()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aContextWorksInTheFactoryAndInTheHandler(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<String> child = new CompletableFuture<>();
            ActorRef<String> parent = driver.system.spawn("parent", ctx -> {
                ActorRef<String> inFactory = ctx.spawn("made-in-factory", c -> m -> {});
                return message -> child.complete(inFactory.path() + " " + ctx.spawn("made-in-turn", c -> m -> {})
                        .path());
            });
            parent.tell("go");
            assertThat(driver.await(child)).contains("made-in-factory").contains("made-in-turn");
        }
    }
}
