package io.zbmd.supervision;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.FaultInjection;
import io.zbmd.actor.RuntimeMetrics;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The design book's example 8, made honest: 100 supervised workers, 10,000 work messages, 1 %
 * injected crashes and 0.1 % injected drops. At the end every worker is alive and every
 * message was either handled or is accounted for as an injected drop: zero unaccounted.
 */
class FaultInjectionAccountingTest {
    static final int WORKERS = 100;
    static final int MESSAGES = 10_000;

    static List<ActorSystemConfig> configs() {
        FaultInjection faults = FaultInjection.seeded(8).withCrashRate(0.01).withDropRate(0.001);
        return Driver.configs().stream().map(c -> c.withFaultInjection(faults)).toList();
    }

    record Work(int id) {}

    @ParameterizedTest
    @MethodSource("configs")
    void everyMessageIsHandledOrAccountedForAndEveryWorkerSurvives(ActorSystemConfig config) {
        try (Driver driver = Driver.of(config)) {
            Set<Integer> handled = ConcurrentHashMap.newKeySet();
            AtomicLong injectedDrops = new AtomicLong();
            CompletableFuture<Void> accounted = new CompletableFuture<>();
            Runnable check = () -> {
                if (handled.size() + injectedDrops.get() == MESSAGES) {
                    accounted.complete(null);
                }
            };
            driver.system.events().subscribe(DeadLetter.class, letter -> {
                if (letter.reason() == DeadLetterReason.INJECTED_DROP) {
                    injectedDrops.incrementAndGet();
                    check.run();
                }
            });
            SupervisorSpec spec = SupervisorSpec.oneForOne().withIntensity(1_000, Duration.ofMinutes(1));
            for (int w = 0; w < WORKERS; w++) {
                spec = spec.withChild(ChildSpec.worker("worker-" + w, ctx -> message -> {
                    handled.add(((Work) message).id());
                    check.run();
                }).withRetries(5).withMailboxCapacity(1024));
            }
            Supervisor supervisor = Supervisors.start(driver.system, "workers", spec);
            List<ActorRef<Object>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                workers.add(driver.await(supervisor.<Object>child("worker-" + w)).orElseThrow());
            }
            for (int id = 0; id < MESSAGES; id++) {
                workers.get(id % WORKERS).tell(new Work(id));
            }
            driver.await(accounted);

            RuntimeMetrics metrics = driver.system.metrics();
            assertThat(metrics.injectedCrashes()).as("injected crashes").isBetween(50L, 200L);
            assertThat(metrics.deadLetters(DeadLetterReason.INJECTED_DROP)).isEqualTo(injectedDrops.get());
            assertThat(metrics.deadLetters(DeadLetterReason.CRASHED)).as("crashed messages lost").isZero();
            assertThat(metrics.deadLetters(DeadLetterReason.MAILBOX_FULL)).isZero();
            assertThat(metrics.deadLetters(DeadLetterReason.TERMINATED)).isZero();
            long unaccounted = MESSAGES - handled.size() - injectedDrops.get();
            assertThat(unaccounted).as("unaccounted messages").isZero();
            assertThat(driver.await(supervisor.children()))
                    .hasSize(WORKERS)
                    .allSatisfy(child -> assertThat(child.running()).isTrue());
            for (ActorRef<Object> worker : workers) {
                assertThat(driver.system.metricsOf(worker).alive()).isTrue();
            }
        }
    }
}
