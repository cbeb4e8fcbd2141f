package io.zbmd.examples.supervision;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.DeadLetter;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.FaultInjection;
import io.zbmd.actor.RuntimeMetrics;
import io.zbmd.supervision.ChildInfo;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The design book's example 8: 100 supervised workers, 10,000 work messages, 1 % injected
 * crashes and 0.1 % injected drops. Every worker is alive at the end and every message is
 * either handled or accounted for as an injected drop.
 */
public final class FaultInjectionExample {

    /**
     * What the run ended with.
     *
     * @param handled messages handled
     * @param injectedDrops messages dropped on purpose
     * @param injectedCrashes crashes injected
     * @param workersAlive workers running at the end
     * @param unaccounted messages neither handled nor dropped on purpose
     */
    public record Outcome(long handled, long injectedDrops, long injectedCrashes, long workersAlive, long unaccounted) {}

    /** @param id the work item */
    public record Work(int id) {}

    private FaultInjectionExample() {}

    /**
     * Runs the example.
     *
     * @param out where to print
     * @param seed drives the injected faults
     * @return the outcome
     */
    public static Outcome run(PrintStream out, long seed) {
        int workers = 100;
        int messages = 10_000;
        out.println("== fault injection: 100 supervised workers, 10,000 messages, 1% crashes, 0.1% drops");
        FaultInjection faults = FaultInjection.seeded(seed).withCrashRate(0.01).withDropRate(0.001);
        try (ActorSystem system = ActorSystem.create(
                ActorSystemConfig.defaults().withName("faults").withFaultInjection(faults))) {
            Set<Integer> handled = ConcurrentHashMap.newKeySet();
            AtomicLong drops = new AtomicLong();
            CompletableFuture<Void> done = new CompletableFuture<>();
            Runnable check = () -> {
                if (handled.size() + drops.get() == messages) {
                    done.complete(null);
                }
            };
            system.events().subscribe(DeadLetter.class, letter -> {
                if (letter.reason() == DeadLetterReason.INJECTED_DROP) {
                    drops.incrementAndGet();
                    check.run();
                }
            });
            SupervisorSpec spec = SupervisorSpec.oneForOne().withIntensity(1_000, Duration.ofMinutes(1));
            for (int w = 0; w < workers; w++) {
                // Retries hand a crashed message to the restarted worker: crashes lose nothing.
                spec = spec.withChild(ChildSpec.worker("worker-" + w, ctx -> message -> {
                    handled.add(((Work) message).id());
                    check.run();
                }).withRetries(5));
            }
            Supervisor supervisor = Supervisors.start(system, "workers", spec);
            List<ActorRef<Work>> refs = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                refs.add(supervisor.<Work>child("worker-" + w).join().orElseThrow());
            }
            for (int id = 0; id < messages; id++) {
                refs.get(id % workers).tell(new Work(id));
            }
            done.join();
            RuntimeMetrics metrics = system.metrics();
            long alive = supervisor.children().join().stream().filter(ChildInfo::running).count();
            Outcome outcome = new Outcome(handled.size(), drops.get(), metrics.injectedCrashes(), alive,
                    messages - handled.size() - drops.get());
            out.printf("  handled %,d, injected drops %d, injected crashes %d (all restarted, crashed messages"
                    + " retried), workers alive %d of %d, unaccounted %d%n", outcome.handled(),
                    outcome.injectedDrops(), outcome.injectedCrashes(), alive, workers, outcome.unaccounted());
            return outcome;
        }
    }

    /** @param args optional seed */
    public static void main(String[] args) {
        run(System.out, args.length > 0 ? Long.parseLong(args[0]) : 8);
    }
}
