package io.zbmd.actor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FaultInjectionTest {

    record Counts(long handled, long dropped, long crashes, long crashReports, long delayed) {}

    static Counts run(FaultInjection faults) {
        AtomicLong handled = new AtomicLong();
        AtomicLong crashReports = new AtomicLong();
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.deterministic(faults.seed()).withFaultInjection(faults))) {
            system.events().subscribe(CrashReport.class, r -> {
                assertThat(r.cause()).isInstanceOf(InjectedFault.class);
                crashReports.incrementAndGet();
            });
            ActorRef<Integer> worker = system.spawn(SpawnOptions.named("worker").withMailboxCapacity(1 << 14),
                    ctx -> m -> handled.incrementAndGet());
            for (int i = 0; i < 10_000; i++) {
                worker.tell(i);
            }
            system.deterministic().advanceTime(Duration.ofSeconds(1));
            RuntimeMetrics metrics = system.metrics();
            return new Counts(handled.get(), metrics.deadLetters(DeadLetterReason.INJECTED_DROP), metrics.injectedCrashes(),
                    crashReports.get(), metrics.injectedDelays());
        }
    }

    @Test
    void injectedDropsAreTaggedAndCounted() {
        Counts counts = run(FaultInjection.seeded(11).withDropRate(0.01).withDelay(0.01, Duration.ofMillis(10)));
        assertThat(counts.dropped()).isBetween(50L, 200L);
        assertThat(counts.delayed()).isBetween(50L, 200L);
        assertThat(counts.handled() + counts.dropped()).isEqualTo(10_000);
    }

    @Test
    void injectedCrashesCarryAnInjectedFault() {
        Counts counts = run(FaultInjection.seeded(5).withCrashRate(0.5));
        assertThat(counts.crashes()).isEqualTo(1); // the first injected crash ends the unsupervised actor
        assertThat(counts.crashReports()).isEqualTo(1);
    }

    @Test
    void theSameSeedInjectsTheSameFaults() {
        FaultInjection faults = FaultInjection.seeded(99).withDropRate(0.05).withDelay(0.05, Duration.ofMillis(5));
        assertThat(run(faults)).isEqualTo(run(faults));
    }

    @Test
    void noFaultsWhenOff() {
        Counts counts = run(FaultInjection.NONE);
        assertThat(counts).isEqualTo(new Counts(10_000, 0, 0, 0, 0));
    }
}
