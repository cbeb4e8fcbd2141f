package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.ScheduleFactory;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that start from another run: continuing a finished run for more epochs (its whole
 * training state), and fine-tuning from its weights alone. The parent is recorded in the new
 * run's checkpoints; a continued run resumes bit-exact like any other.
 */
class ContinueTrainingTest {
    private static final Dataset TRAIN = TrainAnythingTest.spirals(100, 1);
    private static final Dataset TEST = TrainAnythingTest.spirals(20, 2);

    @TempDir
    Path dir;

    /** A constant learning rate: two runs of N epochs then make the same schedule as one of 2N. */
    private static TrainerConfig config(int epochs) {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3), epochs,
                TrainingTask.classification(0.02).withSchedule(ScheduleFactory.constant())).withRunConfig("model=s");
    }

    private static TrainedRun train(TrainerConfig config, int hidden) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(5);
                model = new Sequential(new Linear(2, hidden, true, init), new Tanh(), new Dropout(0.1f, 9),
                        new Linear(hidden, 2, true, init));
            }
            TrainingResult result = Trainer.fit(model, TRAIN, TEST, config);
            return TrainedRun.of(result, model);
        }
    }

    private static RunIdentity identityOf(Path checkpoint) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return RunIdentity.decode(CheckpointFile.read(checkpoint, arena).config()).orElseThrow();
        }
    }

    @Test
    void aFinishedRunContinuedForMoreEpochsEndsWithTheWeightsOfOneRunThatLong() throws IOException {
        TrainedRun straight = train(config(6), 16);
        Path first = dir.resolve("first");
        TrainedRun half = train(config(3).withCheckpoints(first, 0), 16);
        Path second = dir.resolve("second");
        TrainedRun continued = train(config(3).withCheckpoints(second, 10).withKeepCheckpoints(100)
                .withInitFrom(InitFrom.run(first)), 16);
        assertThat(half.result().fingerprint()).isNotEqualTo(straight.result().fingerprint());
        assertThat(continued.result().resumedFromStep()).isZero();
        assertThat(continued.result().steps()).isEqualTo(half.result().steps());
        assertThat(continued.result().fingerprint()).isEqualTo(straight.result().fingerprint());
        Path last = continued.result().lastCheckpoint().orElseThrow();
        assertThat(identityOf(last).parent()).startsWith("run " + CheckpointStore.fileName(half.result().steps())
                + "@sha256:");

        // A continued run resumes bit-exact like any other (as if killed after step 20).
        try (Stream<Path> files = Files.list(second)) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(CheckpointStore.fileName(20))) {
                    Files.delete(file);
                }
            }
        }
        TrainedRun resumed = train(config(3).withCheckpoints(second, 10).withKeepCheckpoints(100)
                .withInitFrom(InitFrom.run(first)), 16);
        assertThat(resumed.result().resumedFromStep()).isEqualTo(20);
        assertThat(resumed.result().fingerprint()).isEqualTo(straight.result().fingerprint());
    }

    @Test
    void aRunStartedFromAnotherRunsWeightsStartsWhereThatOneEnded() throws IOException {
        Path first = dir.resolve("first");
        TrainedRun trained = train(config(4).withCheckpoints(first, 0), 16);
        Path weights = trained.result().lastCheckpoint().orElseThrow();
        // A learning rate too small to move the weights: what the run ends with is what it began with.
        TrainerConfig still = TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3), 1,
                TrainingTask.classification(1e-12)).withInitFrom(InitFrom.weights(weights));
        TrainedRun fineTuned = train(still.withCheckpoints(dir.resolve("tuned"), 0), 16);
        trained.weights().forEach((name, values) -> {
            float[] after = fineTuned.weights().get(name);
            for (int i = 0; i < values.length; i++) {
                assertThat(after[i]).as(name).isCloseTo(values[i], org.assertj.core.data.Offset.offset(1e-6f));
            }
        });
        assertThat(fineTuned.result().testAccuracy()).isEqualTo(trained.result().testAccuracy());
        assertThat(identityOf(fineTuned.result().lastCheckpoint().orElseThrow()).parent())
                .startsWith("weights " + weights.getFileName() + "@sha256:");
    }

    @Test
    void anotherModelCannotContinueARunAndNothingIsWritten() throws IOException {
        Path first = dir.resolve("first");
        train(config(1).withCheckpoints(first, 0), 16);
        Path second = dir.resolve("second");
        assertThatThrownBy(() -> train(config(1).withCheckpoints(second, 0).withInitFrom(InitFrom.run(first)), 8))
                .isInstanceOf(IncompatibleCheckpointException.class).hasMessageContaining("0.weight")
                .hasMessageContaining("[16, 2]").hasMessageContaining("[8, 2]");
        try (Stream<Path> files = Files.list(second)) {
            assertThat(files.toList()).isEmpty();
        }
    }
}
