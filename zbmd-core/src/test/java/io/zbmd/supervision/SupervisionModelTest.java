package io.zbmd.supervision;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ExitReason;
import io.zbmd.dispatch.DeterministicScheduler;
import io.zbmd.testing.Seeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based property test: for random supervision trees (nested one level) and random
 * sequences of worker crashes, normal exits and clock ticks, the real supervisors under the
 * deterministic dispatcher produce exactly the supervision log that {@link SupervisionModel}
 * (a pure model of OTP's rules) predicts, step by step. A failure prints its seed; run it
 * again alone with {@code -Dzbmd.seed=...}.
 */
class SupervisionModelTest {

    static Stream<Long> seeds() {
        return Seeds.of(300);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void realSupervisorsAgreeWithTheModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        SupervisionModel model = SupervisionModel.generate(random);
        Map<String, ActorRef<Object>> workers = new ConcurrentHashMap<>();
        List<String> real = Collections.synchronizedList(new ArrayList<>());
        List<String> history = new ArrayList<>();
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.deterministic(seed))) {
            system.events().subscribe(SupervisionEvent.class, event -> normalize(event).ifPresent(real::add));
            DeterministicScheduler sim = system.deterministic();
            Supervisors.start(system, "root", model.root.toSpec(path -> worker(path, workers)));
            sim.runUntilIdle();
            int steps = 10 + random.nextInt(21);
            for (int step = 0; step < steps; step++) {
                List<String> running = model.runningWorkers();
                assertThat(new TreeSet<>(workers.keySet()))
                        .as("running workers at step %d, %s, history %s", step, Seeds.replay(seed), history)
                        .isEqualTo(new TreeSet<>(running));
                int draw = random.nextInt(100);
                if (running.isEmpty() || draw < 30) {
                    long[] ticks = {100, 500, 1000, 3000};
                    long ms = ticks[random.nextInt(ticks.length)];
                    history.add("tick " + ms);
                    model.tick(ms);
                    sim.advanceTime(Duration.ofMillis(ms));
                } else {
                    String target = running.get(random.nextInt(running.size()));
                    boolean crash = draw < 85;
                    history.add((crash ? "crash " : "exit ") + target);
                    workers.get(target).tell(crash ? "crash" : "exit");
                    if (crash) {
                        model.crash(target);
                    } else {
                        model.normalExit(target);
                    }
                    sim.runUntilIdle();
                }
                assertThat(real)
                        .as("supervision log after %s, %s, history %s", history.getLast(), Seeds.replay(seed), history)
                        .isEqualTo(model.log);
            }
        }
    }

    /** A worker that keeps {@code workers} up to date and crashes or exits on request. */
    static ActorFactory<Object> worker(String path, Map<String, ActorRef<Object>> workers) {
        return ctx -> new Actor<>() {
            @Override
            public void onStart() {
                workers.put(path, ctx.self());
            }

            @Override
            public void onMessage(Object message) {
                if (message.equals("crash")) {
                    throw new IllegalStateException("model crash of " + path);
                }
                if (message.equals("exit")) {
                    ctx.stopSelf();
                }
            }

            @Override
            public void onStop(ExitReason reason) {
                workers.remove(path, ctx.self());
            }
        };
    }

    /** The log line of an event, with actor paths reduced to the model's names. */
    static Optional<String> normalize(SupervisionEvent event) {
        return switch (event) {
            case SupervisionEvent.ChildRestarted e -> Optional.of("restart " + name(e.supervisor()) + "/" + e.childId());
            case SupervisionEvent.ChildStopped e -> Optional.of("stop " + name(e.supervisor()) + "/" + e.childId());
            case SupervisionEvent.GaveUp e -> Optional.of("gaveup " + name(e.supervisor()));
            default -> Optional.empty();
        };
    }

    private static String name(String path) {
        return path.replaceAll("#\\d+", "").replaceFirst("^/", "");
    }
}
