package io.zbmd.actor;

import io.zbmd.testing.Driver;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProcessActorTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    record Ask(String text, ActorRef<String> replyTo) {}

    @ParameterizedTest
    @MethodSource("configs")
    void aProcessReceivesBlockingAndReplies(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<Ask> echo = driver.system.spawnProcess("echo", ctx -> {
                while (true) {
                    Ask ask = ctx.receive();
                    ask.replyTo().tell(ask.text().toUpperCase());
                }
            });
            for (String word : List.of("one", "two", "three")) {
                assertThat(driver.await(echo.<String>ask(r -> new Ask(word, r), Duration.ofSeconds(30))))
                        .isEqualTo(word.toUpperCase());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void selectiveReceiveKeepsSkippedMessagesInOrder(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<List<String>> order = new CompletableFuture<>();
            ActorRef<String> process = driver.system.spawnProcess("selective", ctx -> {
                List<String> got = new ArrayList<>();
                got.add(ctx.receive(m -> m.startsWith("urgent"), Duration.ofDays(1)).orElseThrow());
                got.add(ctx.receive());
                got.add(ctx.receive());
                got.add(ctx.receive(Duration.ofDays(1)).orElseThrow());
                order.complete(got);
            });
            for (String message : List.of("a", "b", "urgent!", "c")) {
                process.tell(message);
            }
            assertThat(driver.await(order)).containsExactly("urgent!", "a", "b", "c");
            assertThat(driver.awaitTermination(process)).isEqualTo(ExitReason.NORMAL);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aReceiveTimesOutEmpty(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<Optional<String>> result = new CompletableFuture<>();
            ActorRef<String> process = driver.system.spawnProcess("waiting", ctx -> {
                result.complete(ctx.receive(m -> m.equals("never sent"), Duration.ofMillis(20)));
                ctx.receive(m -> false, Duration.ofDays(365)); // then wait until stopped
            });
            process.tell("something else");
            assertThat(driver.await(result)).isEmpty();
            driver.system.stop(process);
            assertThat(driver.awaitTermination(process)).isEqualTo(ExitReason.SHUTDOWN);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void processesAreLinkedAndMonitoredLikeActors(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<String> crashing = driver.system.spawnProcess("crashing", ctx -> {
                String m = ctx.receive();
                throw new IllegalStateException("process failed on " + m);
            });
            CountDownLatch linked = new CountDownLatch(1);
            ActorRef<String> waiter = driver.system.spawnProcess("linked-waiter", ctx -> {
                ctx.link(crashing);
                linked.countDown();
                ctx.receive(); // blocks until killed through the link
            });
            List<Object> trapped = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch exitSeen = new CountDownLatch(1);
            driver.system.spawnProcess("trapper", ctx -> {
                ctx.trapExits(true);
                ctx.link(crashing);
                trapped.add(ctx.receiveAny(o -> o instanceof Signal.Exit, Duration.ofDays(1)).orElseThrow());
                exitSeen.countDown();
            });
            driver.await(linked);
            CompletableFuture<ExitReason> crashEnd = driver.system.terminationOf(crashing);
            crashing.tell("input");
            ExitReason reason = driver.await(crashEnd);
            assertThat(reason).isInstanceOfSatisfying(ExitReason.Crash.class,
                    c -> assertThat(c.cause()).hasMessage("process failed on input"));
            assertThat(driver.awaitTermination(waiter)).isEqualTo(reason);
            driver.await(exitSeen);
            assertThat(trapped).containsExactly(new Signal.Exit(crashing, reason));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aProcessReceivesDownSignals(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            ActorRef<String> target = driver.system.spawn("target", ctx -> m -> ctx.stopSelf());
            CompletableFuture<Object> down = new CompletableFuture<>();
            driver.system.spawnProcess("watcher", ctx -> {
                MonitorRef monitor = ctx.monitor(target);
                target.tell("stop please");
                down.complete(ctx.receiveAny(o -> o instanceof Signal.Down d && d.monitor() == monitor,
                        Duration.ofDays(1)).orElseThrow());
            });
            assertThat(driver.await(down)).isInstanceOfSatisfying(Signal.Down.class,
                    d -> assertThat(d.reason()).isEqualTo(ExitReason.NORMAL));
        }
    }

    /** Real threads only: a body blocked outside receive is interrupted by a stop. */
    @Test
    void aStopInterruptsABlockingCall() {
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withWorkers(2))) {
            CountDownLatch sleeping = new CountDownLatch(1);
            ActorRef<String> sleeper = driver.system.spawnProcess("sleeper", ctx -> {
                sleeping.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            driver.await(sleeping);
            driver.system.stop(sleeper);
            assertThat(driver.awaitTermination(sleeper)).isEqualTo(ExitReason.SHUTDOWN);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aProcessNeverOutlivesItsParent(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            CompletableFuture<ActorRef<String>> child = new CompletableFuture<>();
            ActorRef<String> parent = driver.system.spawnProcess("parent", ctx -> {
                child.complete(ctx.spawnProcess(SpawnOptions.named("child"), c -> {
                    while (true) {
                        c.receive();
                    }
                }));
                ctx.receive();
            });
            ActorRef<String> childRef = driver.await(child);
            CompletableFuture<ExitReason> childEnd = driver.system.terminationOf(childRef);
            driver.system.stop(parent);
            assertThat(driver.awaitTermination(parent)).isEqualTo(ExitReason.SHUTDOWN);
            assertThat(childEnd).isDone();
        }
    }
}
