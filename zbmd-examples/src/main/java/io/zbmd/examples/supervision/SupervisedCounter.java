package io.zbmd.examples.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.Snapshotting;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.SupervisionEvent;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The design book's example 2: a supervised counter that crashes on every 20th message. It is
 * restarted in place (same ref, its queued messages kept) from its last snapshot, so the
 * final value shows that no increment was lost.
 */
public final class SupervisedCounter {

    /** The counter's protocol. */
    public sealed interface CounterMessage {}

    /** @param n how much to add */
    public record Increment(int n) implements CounterMessage {}

    /** Makes the counter crash. */
    public record Crash() implements CounterMessage {}

    /** @param replyTo where to send the value */
    public record GetValue(ActorRef<Integer> replyTo) implements CounterMessage {}

    /** A counter whose value survives restarts through snapshots. */
    static final class Counter implements Actor<CounterMessage>, Snapshotting<Integer> {
        private int value;

        @Override
        public void onMessage(CounterMessage message) {
            switch (message) {
                case Increment increment -> value += increment.n();
                case Crash crash -> throw new IllegalStateException("intentional crash at value " + value);
                case GetValue get -> get.replyTo().tell(value);
            }
        }

        @Override
        public Integer snapshot() {
            return value;
        }

        @Override
        public void restore(Integer snapshot) {
            value = snapshot;
        }
    }

    private SupervisedCounter() {}

    /**
     * Runs the example.
     *
     * @param out where to print
     * @return the final value: 95, one per increment
     */
    public static int run(PrintStream out) {
        out.println("== supervised counter: crashes on every 20th message, loses no increment");
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("counter"))) {
            AtomicInteger restarts = new AtomicInteger();
            system.events().subscribe(SupervisionEvent.ChildRestarted.class, e -> restarts.incrementAndGet());
            Supervisor supervisor = Supervisors.start(system, "supervisor", SupervisorSpec.oneForOne()
                    .withIntensity(10, Duration.ofMinutes(1))
                    .withChild(ChildSpec.worker("counter", Counter::new)));
            ActorRef<CounterMessage> counter = supervisor.<CounterMessage>child("counter").join().orElseThrow();
            int increments = 0;
            for (int i = 0; i < 100; i++) {
                if (i % 20 == 19) {
                    counter.tell(new Crash());
                } else {
                    counter.tell(new Increment(1));
                    increments++;
                }
            }
            int value = counter.<Integer>ask(GetValue::new, Duration.ofSeconds(5)).join();
            out.printf("  sent %d increments and 5 crashes; %d restarts; final value %d%n", increments,
                    restarts.get(), value);
            return value;
        }
    }

    /** @param args unused */
    public static void main(String[] args) {
        run(System.out);
    }
}
