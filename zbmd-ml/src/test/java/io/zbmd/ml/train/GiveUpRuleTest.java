package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Layers.Flatten;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The give-up rule ({@link FailureLimits}) follows progress, not the clock. Runs are seeded
 * simulations: the actors on the deterministic dispatcher, time on its virtual clock, so a
 * step takes no simulated time at all (the fastest machine there could be) and every fault
 * replays from its seed.
 */
class GiveUpRuleTest {
    /** The demo's rates (README's Quick start): crash=0.01,drop=0.001,device=0.001,oom=0.0005. */
    private static final TrainingFaults DEMO_RATES = TrainingFaults.parse("crash=0.01,drop=0.001,device=0.001,oom=0.0005",
            21);
    private static final ImageDataset TRAIN = dataset(512, 1);
    private static final ImageDataset TEST = dataset(128, 2);

    /** Labels a function of the pixels, so that the model can learn something. */
    private static ImageDataset dataset(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[size * 64];
        byte[] labels = new byte[size];
        for (int i = 0; i < size; i++) {
            int label = random.nextInt(4);
            labels[i] = (byte) label;
            for (int p = 0; p < 64; p++) {
                pixels[i * 64 + p] = (byte) ((p / 16) == label ? 150 + random.nextInt(100) : random.nextInt(120));
            }
        }
        return ImageDataset.of("synthetic-" + seed, 8, 8, pixels, labels, List.of("a", "b", "c", "d"));
    }

    /** A small MLP; 32 steps per epoch. */
    private static TrainerConfig simulated(int epochs, long seed) {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3).withStandardization(0.3f, 0.3f), epochs,
                0.01).withRunConfig("model=test-mlp").withActors(ActorSystemConfig.deterministic(seed));
    }

    private static TrainingResult train(TrainerConfig config) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(config.faults().wrap(cpu))) {
            Sequential model;
            SplittableRandom init = new SplittableRandom(7);
            try (var ignored = scope.enter()) {
                model = new Sequential(new Flatten(), new Linear(64, 32, true, init), new ReLU(),
                        new Linear(32, 4, true, init));
            }
            return Trainer.fit(model, TRAIN, TEST, config);
        }
    }

    /** Counts what the listener hears, by cause; keeps the last progress (on the actors' clock). */
    private static final class Heard implements TrainingListener {
        final Map<String, Integer> recoveries = new TreeMap<>();
        final AtomicReference<Progress> last = new AtomicReference<>();

        @Override
        public synchronized void recovered(String cause, long step, String detail) {
            recoveries.merge(cause, 1, Integer::sum);
        }

        @Override
        public void stepped(Progress progress) {
            last.set(progress);
        }
    }

    @Test
    void theDemosFaultRatesFinishHoweverFastTheStepsAre() throws IOException {
        // Every restart of this run falls within one period of the supervisor, so OTP's
        // counting of every restart would stop it after the 20th; a run that keeps committing
        // steps must not stop.
        FailureLimits limits = FailureLimits.defaults().withFailuresPerStep(20)
                .withUnrecoveredRestarts(20, Duration.ofDays(30));
        Heard heard = new Heard();
        TrainerConfig config = simulated(60, 8).withFaults(DEMO_RATES).withLimits(limits).withListener(heard);
        TrainingResult result = train(config);

        assertThat(result.steps()).isEqualTo(60 * 32);
        assertThat(result.recoveries()).containsKeys("crash", "device", "oom");
        long restarts = result.recoveries().get("crash") + result.recoveries().get("device");
        assertThat(restarts).as("restarts in the run").isGreaterThan(10L * limits.unrecoveredRestarts());
        assertThat(heard.last.get().elapsed()).as("virtual time: only lost replies move the clock")
                .isLessThan(limits.restartPeriod());
        assertThat(result.mostStepFailures()).isBetween(1, limits.failuresPerStep());
        assertThat(result.testAccuracy()).isGreaterThan(0.6);

        // A seeded simulation: the same seeds replay the same run, every fault included.
        TrainingResult again = train(simulated(60, 8).withFaults(DEMO_RATES).withLimits(limits));
        assertThat(again.recoveries()).isEqualTo(result.recoveries());
        assertThat(again.fingerprint()).isEqualTo(result.fingerprint());
    }

    @Test
    void aStepThatAlwaysFailsStopsTheRunAfterItsFailuresNamingTheStepAndTheCause() {
        Heard heard = new Heard();
        TrainerConfig config = simulated(2, 9).withFaults(new TrainingFaults(4, 0, 0, 1, 0))
                .withLimits(FailureLimits.defaults().withFailuresPerStep(5)).withListener(heard);
        assertThatThrownBy(() -> train(config))
                .isInstanceOf(TrainingFailedException.class)
                .hasMessageContaining("step 0 failed 6 times (limit 5), last at its model stage")
                .hasMessageContaining("injected device error");
        assertThat(heard.recoveries).isEqualTo(Map.of("device", 6));
    }

    @Test
    void anActorInARestartLoopStopsTheRunAsOneEvenWhileStepsCommit() {
        // The metrics actor crashes on everything it handles: each crash is reported to it as a
        // recovery, and it crashes on that too, without ever handling a message.
        TrainingListener broken = new TrainingListener() {
            @Override
            public void started(long startStep, long totalSteps, long stepsPerEpoch, String description) {
                throw new IllegalStateException("the listener is broken");
            }

            @Override
            public void stepped(Progress progress) {
                throw new IllegalStateException("the listener is broken");
            }

            @Override
            public void epochEnded(int epoch, double meanLoss, Duration took) {
                throw new IllegalStateException("the listener is broken");
            }

            @Override
            public void recovered(String cause, long step, String detail) {
                throw new IllegalStateException("the listener is broken");
            }
        };
        assertThatThrownBy(() -> train(simulated(10, 10).withListener(broken)))
                .isInstanceOf(TrainingFailedException.class)
                .hasMessageContaining("the training supervisor gave up")
                .hasMessageContaining("101 restarts within 10 s (limit 100)")
                .hasMessageContaining("restart loop")
                .hasMessageContaining("metrics: crash")
                .hasMessageContaining("the listener is broken");
    }

    @Test
    void limitsAreCheckedWhenMade() {
        assertThatThrownBy(() -> FailureLimits.defaults().withFailuresPerStep(0))
                .hasMessageContaining("failuresPerStep must be 1 or more, got 0");
        assertThatThrownBy(() -> FailureLimits.defaults().withUnrecoveredRestarts(5, Duration.ofSeconds(1)))
                .hasMessageContaining("unrecoveredRestarts must be at least failuresPerStep (50), got 5");
        assertThatThrownBy(() -> FailureLimits.defaults().withStageTimeout(Duration.ZERO))
                .hasMessageContaining("stageTimeout must be positive");
        assertThat(FailureLimits.defaults().withFailuresPerStep(150).unrecoveredRestarts()).isEqualTo(150);
    }
}
