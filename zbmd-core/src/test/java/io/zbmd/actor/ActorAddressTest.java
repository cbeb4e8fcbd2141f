package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** An actor's address is a value: node, node incarnation, number. */
class ActorAddressTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    record Echo(ActorRef<ActorAddress> replyTo) {}

    @ParameterizedTest
    @MethodSource("configs")
    void everyActorHasAnAddressOfItsOwnOnItsNode(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Echo> a = driver.system.spawn("a", ctx -> echo -> echo.replyTo().tell(ctx.self().address()));
            ActorRef<Echo> b = driver.system.spawn("b", ctx -> echo -> echo.replyTo().tell(ctx.self().address()));

            assertThat(a.address()).isEqualTo(a.address()).isNotSameAs(a.address()).isNotEqualTo(b.address());
            assertThat(a.address().node()).isEqualTo(driver.system.name());
            assertThat(a.address().incarnation()).isEqualTo(b.address().incarnation());
            assertThat(driver.await(a.ask(Echo::new, Duration.ofSeconds(30)))).isEqualTo(a.address());
            assertThat(a.address().toString()).startsWith(driver.system.name() + "/").endsWith("/" + a.address().id());
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void anActorKeepsItsAddressThroughItsSupervisedRestarts(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Supervisor supervisor = Supervisors.start(driver.system, "sup", SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.<Object>worker("worker", ctx -> message -> {
                        if (message instanceof Echo echo) {
                            echo.replyTo().tell(ctx.self().address());
                        } else {
                            throw new IllegalStateException("crash on purpose");
                        }
                    })));
            ActorRef<Object> worker = driver.await(supervisor.<Object>child("worker")).orElseThrow();
            ActorAddress before = driver.await(worker.<ActorAddress>ask(Echo::new, Duration.ofSeconds(30)));
            worker.tell("crash");
            ActorAddress after = driver.await(worker.<ActorAddress>ask(Echo::new, Duration.ofSeconds(30)));

            assertThat(after).isEqualTo(before).isEqualTo(worker.address());
            assertThat(driver.await(supervisor.children()).getFirst().restarts()).isEqualTo(1);
        }
    }

    @Test
    void twoSystemsOfOneNameAreTwoIncarnationsAndASeedReplaysItsAddresses() {
        ActorSystemConfig config = ActorSystemConfig.defaults().withName("node");
        try (ActorSystem first = ActorSystem.create(config); ActorSystem second = ActorSystem.create(config)) {
            ActorRef<Object> one = first.spawn("same", ctx -> message -> {});
            ActorRef<Object> other = second.spawn("same", ctx -> message -> {});
            assertThat(one.address().node()).isEqualTo(other.address().node()).isEqualTo("node");
            assertThat(one.address().incarnation()).isNotEqualTo(other.address().incarnation());
            assertThat(one.address()).isNotEqualTo(other.address());
        }
        try (ActorSystem first = ActorSystem.create(ActorSystemConfig.deterministic(7));
                ActorSystem replay = ActorSystem.create(ActorSystemConfig.deterministic(7));
                ActorSystem otherSeed = ActorSystem.create(ActorSystemConfig.deterministic(8))) {
            ActorAddress address = first.spawn("x", ctx -> message -> {}).address();
            assertThat(replay.spawn("x", ctx -> message -> {}).address()).isEqualTo(address);
            assertThat(otherSeed.spawn("x", ctx -> message -> {}).address().incarnation())
                    .isNotEqualTo(address.incarnation());
        }
    }

    @Test
    void anAddressNeedsANodeAndAPositiveId() {
        assertThatThrownBy(() -> new ActorAddress(" ", 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ActorAddress("node", 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ActorAddress(null, 1, 1)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aReplyRefHasAnAddressOnItsNodeToo(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<ActorAddress> replyRef = new CompletableFuture<>();
            ActorRef<Echo> actor = driver.system.spawn("a", ctx -> echo -> {
                replyRef.complete(echo.replyTo().address());
                echo.replyTo().tell(ctx.self().address());
            });
            driver.await(actor.ask(Echo::new, Duration.ofSeconds(30)));
            assertThat(driver.await(replyRef).node()).isEqualTo(driver.system.name());
            assertThat(driver.await(replyRef)).isNotEqualTo(actor.address());
        }
    }
}
