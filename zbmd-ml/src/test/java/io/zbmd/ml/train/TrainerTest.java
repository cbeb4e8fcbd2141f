package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Layers.BatchNorm;
import io.zbmd.ml.nn.Layers.Conv2d;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Flatten;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.MaxPool2d;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Trainer#fit} on a small CNN (convolution, batch norm, pooling, dropout) over a
 * synthetic dataset: the same run with and without injected crashes, lost replies and device
 * errors ends with the same weights, bit for bit; a run resumed from its checkpoints too; an
 * out-of-memory splits the batch and training still converges; a step that always fails
 * stops the run with the cause; checkpoints of another run or model are refused.
 */
class TrainerTest {
    private static final long SEED = 5;
    private static final ImageDataset TRAIN = dataset(96, 1);
    private static final ImageDataset TEST = dataset(48, 2);

    @TempDir
    Path dir;

    /** Labels a function of the pixels, so that the model can learn something. */
    private static ImageDataset dataset(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[size * 64];
        byte[] labels = new byte[size];
        for (int i = 0; i < size; i++) {
            int label = random.nextInt(4);
            labels[i] = (byte) label;
            for (int p = 0; p < 64; p++) {
                boolean lit = (p / 16) == label;
                pixels[i * 64 + p] = (byte) (lit ? 150 + random.nextInt(100) : random.nextInt(120));
            }
        }
        return ImageDataset.of("synthetic-" + seed, 8, 8, pixels, labels, List.of("a", "b", "c", "d"));
    }

    private static TrainerConfig config() {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(SEED).withStandardization(0.3f, 0.3f), 4,
                0.01).withRunConfig("model=test-cnn");
    }

    /** A fresh backend and model: what fit returned, and the weights. */
    private static TrainedRun train(TrainerConfig config) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(config.faults().wrap(cpu))) {
            Sequential model = model(scope, 4);
            TrainingResult result = Trainer.fit(model, TRAIN, TEST, config);
            return TrainedRun.of(result, model);
        }
    }

    private static Sequential model(TensorScope scope, int classes) {
        SplittableRandom init = new SplittableRandom(SEED);
        try (var ignored = scope.enter()) {
            return new Sequential(new Conv2d(1, 4, 3, 1, 1, init), new BatchNorm(4, 0.1f, 1e-5f), new ReLU(),
                    new MaxPool2d(2), new Flatten(), new Dropout(0.2f, init.nextLong()),
                    new Linear(64, classes, true, init));
        }
    }

    @Test
    void runsWithCrashesLostRepliesAndDeviceErrorsEndWithTheWeightsOfARunWithout() throws IOException {
        TrainedRun clean = train(config());
        assertThat(clean.result().steps()).isEqualTo(24);
        assertThat(clean.result().totalRecoveries()).isZero();
        assertThat(clean.result().testAccuracy()).isGreaterThan(0.6);
        train(config()).assertSameWeightsAs(clean);

        // Also slow replies and failing checkpoint writes; in a seeded simulation (virtual time),
        // so that a lost or late reply costs no wall time.
        TrainedRun faulty = train(config().withFaults(new TrainingFaults(3, 0.1, 0.03, 0.002, 0, 0.02, 0))
                .withActors(ActorSystemConfig.deterministic(3)));
        assertThat(faulty.result().recoveries()).containsKeys("crash", "timeout", "device");
        assertThat(faulty.result().totalRecoveries()).isGreaterThan(10);
        assertThat(faulty.result().microBatches()).isEqualTo(1);
        faulty.assertSameWeightsAs(clean);
        assertThat(faulty.result().testAccuracy()).isEqualTo(clean.result().testAccuracy());
    }

    @Test
    void aRunResumedFromItsCheckpointsEndsWithTheWeightsOfARunWithout() throws IOException {
        TrainedRun clean = train(config());
        Path run = dir.resolve("run");
        TrainedRun first = train(config().withCheckpoints(run, 5).withKeepCheckpoints(10));
        first.assertSameWeightsAs(clean);
        assertThat(first.result().checkpointsWritten()).isEqualTo(5); // steps 5, 10, 15, 20 and the final 24
        assertThat(first.result().lastCheckpoint()).hasValue(run.resolve(CheckpointStore.fileName(24)));

        // As if the process had died after step 10's checkpoint, while writing step 15's.
        for (long step : new long[] {20, 24}) {
            Files.delete(run.resolve(CheckpointStore.fileName(step)));
        }
        Path torn = run.resolve(CheckpointStore.fileName(15));
        Files.write(torn, java.util.Arrays.copyOf(Files.readAllBytes(torn), (int) Files.size(torn) / 2));

        TrainedRun resumed = train(config().withCheckpoints(run, 5).withKeepCheckpoints(10));
        assertThat(resumed.result().resumedFromStep()).isEqualTo(10);
        assertThat(resumed.result().rejectedCheckpoints()).singleElement().asString()
                .contains(CheckpointStore.fileName(15));
        resumed.assertSameWeightsAs(clean);

        // Finished runs resume at their end and change nothing.
        TrainedRun again = train(config().withCheckpoints(run, 5).withKeepCheckpoints(10));
        assertThat(again.result().resumedFromStep()).isEqualTo(24);
        again.assertSameWeightsAs(clean);
    }

    @Test
    void metersCountWhatTheResultReports() throws IOException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainedRun run = train(config().withFaults(new TrainingFaults(4, 0.1, 0, 0, 0)).withCheckpoints(dir, 10)
                .withMeterRegistry(registry));
        TrainingResult result = run.result();
        assertThat(registry.get("zbmd.training.steps").counter().count()).isEqualTo(24);
        assertThat(registry.get("zbmd.training.step.time").timer().count()).isEqualTo(24);
        assertThat(registry.get("zbmd.training.loss").gauge().value()).isFinite();
        assertThat(result.recoveries()).containsKey("crash");
        assertThat(registry.get("zbmd.training.recoveries").tag("cause", "crash").counter().count())
                .isEqualTo((double) result.recoveries().get("crash"));
        assertThat(registry.get("zbmd.training.checkpoint.duration").timer().count())
                .isEqualTo(result.checkpointsWritten()).isEqualTo(3);
        assertThat(registry.get("zbmd.training.checkpoint.stall").timer().count()).isEqualTo(3);
        assertThat(result.timings().recoveries()).isPositive();
        assertThat(registry.get("zbmd.training.recovery.time").timer().count())
                .isEqualTo(result.timings().recoveries());
    }

    @Test
    void outOfMemorySplitsTheBatchAndTrainingStillConverges() throws IOException {
        TrainedRun clean = train(config());
        TrainedRun split = train(config().withFaults(new TrainingFaults(9, 0, 0, 0, 0.002))
                .withLimits(FailureLimits.defaults().withStageTimeout(Duration.ofSeconds(30))));
        assertThat(split.result().microBatches()).isGreaterThan(1);
        assertThat(split.result().recoveries()).containsKey("oom");
        assertThat(split.result().testAccuracy()).isGreaterThan(clean.result().testAccuracy() - 0.15);
    }

    @Test
    void aCheckpointThatCannotBeWrittenEndsTheRunAfterItsTries() {
        // Every write fails: the checkpoint actor crashes and retries, then the run gives up.
        TrainerConfig config = config().withCheckpoints(dir.resolve("run"), 5)
                .withFaults(new TrainingFaults(4, 0, 0, 0, 0, 0, 1.0)).withActors(ActorSystemConfig.deterministic(4));
        // (Here the checkpoint actor's restart loop trips its supervisor's intensity first; which
        // checkpoint's write failed last depends on how far the steps got meanwhile.)
        assertThatThrownBy(() -> train(config)).isInstanceOf(TrainingFailedException.class)
                .hasMessageMatching("(?s).*checkpoint: crashed: injected failure writing the checkpoint of step"
                        + " (5|[1-9][0-9]*[05]);.*")
                .hasMessageNotContaining("Exception").hasMessageNotContaining("InjectedFault");
    }

    @Test
    void aStepThatAlwaysFailsStopsTheRunWithItsCause() {
        assertThatThrownBy(() -> train(config().withFaults(new TrainingFaults(1, 0, 0, 1, 0))
                .withLimits(FailureLimits.defaults().withFailuresPerStep(2))))
                .isInstanceOf(TrainingFailedException.class)
                .hasMessageContaining("step 0")
                .hasMessageContaining("injected device error");
    }

    @Test
    void checkpointsOfAnotherRunOrModelAreRefusedAndLeftAsTheyWere() throws IOException {
        Path run = dir.resolve("run");
        train(config().withCheckpoints(run, 0));
        Map<Path, byte[]> before = contents(run);

        assertThatThrownBy(() -> train(TrainerConfig.of(DataLoaderConfig.ofBatchSize(8).withSeed(SEED)
                .withStandardization(0.3f, 0.3f), 4, 0.01).withRunConfig("model=test-cnn").withCheckpoints(run, 0)))
                .isInstanceOf(IncompatibleRunException.class)
                .hasMessageContaining("batch=16")
                .hasMessageContaining("batch=8");
        assertThatThrownBy(() -> {
            try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1)
                    .withMemoryBudgetBytes(64L << 20)); TensorScope scope = TensorScope.create(cpu)) {
                Trainer.fit(model(scope, 5), TRAIN, TEST, config().withCheckpoints(run, 0));
            }
        }).isInstanceOf(IncompatibleCheckpointException.class)
                .hasMessageContaining("6.weight")
                .hasMessageContaining("[5, 64]");
        Map<Path, byte[]> after = contents(run);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((file, bytes) -> assertThat(after.get(file)).as(file.toString()).isEqualTo(bytes));
    }

    @Test
    void deviceFaultsNeedTheModelOnTheWrappedBackend() throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20));
                TensorScope scope = TensorScope.create(cpu)) {
            Backend backend = cpu;
            assertThat(backend).isSameAs(TrainingFaults.NONE.wrap(cpu));
            assertThatThrownBy(() -> Trainer.fit(model(scope, 4), TRAIN, TEST,
                    config().withFaults(TrainingFaults.parse("device=0.01", 1))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("wrap(backend)");
        }
    }

    private static Map<Path, byte[]> contents(Path directory) throws IOException {
        Map<Path, byte[]> contents = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(directory)) {
            list.sorted().forEach(files::add);
        }
        for (Path file : files) {
            contents.put(file, Files.readAllBytes(file));
        }
        return contents;
    }
}
