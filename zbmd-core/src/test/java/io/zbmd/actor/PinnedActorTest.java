package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Actors pinned to a thread of their own: what a device actor needs from the runtime. */
class PinnedActorTest {

    static List<ActorSystemConfig> configs() {
        return Driver.configs();
    }

    record Work(int n, ActorRef<Thread> replyTo) {}

    /** Replies with the thread each message ran on; remembers the thread of its start. */
    static ActorFactory<Work> threadReporter(List<Thread> starts) {
        return ctx -> new Actor<>() {
            @Override
            public void onStart() {
                starts.add(Thread.currentThread());
            }

            @Override
            public void onMessage(Work message) {
                message.replyTo().tell(Thread.currentThread());
            }
        };
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aPinnedActorRunsEveryTurnOnItsOwnThreadWhichEndsWithIt(ActorSystemConfig config) throws Exception {
        try (Driver driver = Driver.of(config)) {
            List<Thread> starts = new CopyOnWriteArrayList<>();
            ActorRef<Work> pinned = driver.system.spawn(SpawnOptions.named("device").pinnedToThread(),
                    threadReporter(starts));
            ActorRef<Work> shared = driver.system.spawn("shared", threadReporter(starts));
            Set<Thread> pinnedThreads = ConcurrentHashMap.newKeySet();
            Set<Thread> sharedThreads = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 50; i++) {
                int n = i;
                pinnedThreads.add(driver.await(pinned.<Thread>ask(r -> new Work(n, r),
                        Driver.HANG_GUARD)));
                sharedThreads.add(driver.await(shared.<Thread>ask(r -> new Work(n, r),
                        Driver.HANG_GUARD)));
            }
            if (driver.deterministic()) {
                assertThat(pinnedThreads).as("under the deterministic dispatcher, on its one thread")
                        .isEqualTo(sharedThreads).hasSize(1);
                return;
            }
            Thread own = starts.getFirst();
            assertThat(pinnedThreads).as("every message, on the thread its start ran on").containsExactly(own);
            assertThat(own.getName()).contains("device");
            assertThat(own.isVirtual()).isFalse();
            assertThat(sharedThreads).as("no other actor runs there").doesNotContain(own);
            driver.system.stop(pinned);
            driver.awaitTermination(pinned);
            own.join(); // ends once its actor has; a thread left running would hang here, caught by the build's timeout
            assertThat(own.isAlive()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void closingTheSystemEndsThePinnedThreads(ActorSystemConfig config) throws Exception {
        List<Thread> starts = new CopyOnWriteArrayList<>();
        Driver driver = Driver.of(config);
        for (int i = 0; i < 3; i++) {
            driver.system.spawn(SpawnOptions.named("device-" + i).pinnedToThread(), threadReporter(starts));
        }
        driver.close();
        assertThat(starts).hasSize(3);
        if (driver.deterministic()) {
            return; // they ran on this thread
        }
        assertThat(starts).extracting(Thread::getName).allMatch(name -> name.startsWith(config.name() + "-pinned-"));
        for (Thread thread : starts) {
            thread.join();
            assertThat(thread.isAlive()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aSupervisedPinnedChildRestartsOnItsOwnThread(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            List<Thread> starts = new CopyOnWriteArrayList<>();
            ActorFactory<Work> crashing = ctx -> {
                ActorFactory<Work> reporter = threadReporter(starts);
                Actor<Work> inner = reporter.create(ctx);
                return new Actor<>() {
                    @Override
                    public void onStart() throws Exception {
                        inner.onStart();
                    }

                    @Override
                    public void onMessage(Work message) throws Exception {
                        if (message.n() < 0) {
                            throw new IllegalStateException("crash on purpose");
                        }
                        inner.onMessage(message);
                    }
                };
            };
            Supervisor supervisor = Supervisors.start(driver.system, "sup",
                    SupervisorSpec.oneForOne().withIntensity(10, Duration.ofMinutes(1))
                            .withChild(ChildSpec.worker("device", crashing).withPinnedThread(true)));
            ActorRef<Work> device = driver.await(supervisor.<Work>child("device")).orElseThrow();
            for (int crash = 0; crash < 3; crash++) {
                int n = crash;
                device.tell(new Work(-1, null));
                Thread ran = driver.await(device.<Thread>ask(r -> new Work(n, r), Driver.HANG_GUARD));
                assertThat(ran).isSameAs(starts.getFirst());
            }
            assertThat(starts).as("the start and three restarts").hasSize(4);
            assertThat(starts).as("all on one thread").allMatch(thread -> thread == starts.getFirst());
            if (!driver.deterministic()) {
                assertThat(starts.getFirst().getName()).contains("-pinned-");
            }
        }
    }
}
