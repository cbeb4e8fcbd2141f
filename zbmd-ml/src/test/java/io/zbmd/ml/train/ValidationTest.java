package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation during training: measuring changes no weight (a run with it ends as one without),
 * the listener hears every measurement, and early stopping ends the run when the watched
 * metric stops improving, at the same step after a resume from any of its checkpoints.
 */
class ValidationTest {
    private static final Dataset TRAIN = TrainAnythingTest.spirals(100, 1);
    private static final Dataset VALIDATION = TrainAnythingTest.spirals(40, 9);
    private static final Dataset TEST = TrainAnythingTest.spirals(20, 2);

    @TempDir
    Path dir;

    /** What the listener heard: "epoch:loss:stopping" per validation. */
    private static final class Heard implements TrainingListener {
        final List<String> validations = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void validated(int epoch, double loss, double accuracy, boolean stopping) {
            validations.add(epoch + ":" + loss + ":" + stopping);
        }
    }

    private static TrainerConfig config(int epochs) {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3), epochs, TrainingTask.classification(0.05))
                .withRunConfig("model=s");
    }

    private static TrainingResult train(TrainerConfig config) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(5);
                model = new Sequential(new Linear(2, 16, true, init), new Tanh(), new Dropout(0.1f, 9),
                        new Linear(16, 2, true, init));
            }
            return Trainer.fit(model, TRAIN, TEST, config);
        }
    }

    @Test
    void validatingChangesNothingAndIsHeardEveryTime() throws IOException {
        TrainingResult without = train(config(6));
        Heard heard = new Heard();
        TrainingResult with = train(config(6).withValidation(Validation.every(2, VALIDATION)).withListener(heard));
        assertThat(with.fingerprint()).isEqualTo(without.fingerprint());
        assertThat(with.stoppedEarly()).isFalse();
        assertThat(heard.validations).hasSize(3).allMatch(v -> v.endsWith(":false"));
        assertThat(heard.validations.get(0)).startsWith("2:");
        assertThat(heard.validations.get(2)).startsWith("6:");
    }

    @Test
    void earlyStoppingEndsTheRunAndAResumeStopsAtTheSameStep() throws IOException {
        // A patience so short, and a minimum improvement so large, that it must stop early.
        Validation stopping = Validation.every(1, VALIDATION).withEarlyStopping(Validation.Metric.LOSS, 2, 0.05);
        Heard heard = new Heard();
        Path run = dir.resolve("run");
        TrainingResult stopped = train(config(40).withValidation(stopping).withListener(heard)
                .withCheckpoints(run, 13).withKeepCheckpoints(100));
        assertThat(stopped.stoppedEarly()).isTrue();
        assertThat(stopped.steps()).isLessThan(40 * 13).isEqualTo(13L * heard.validations.size());
        assertThat(heard.validations.getLast()).endsWith(":true");
        assertThat(stopped.lastCheckpoint()).hasValue(run.resolve(CheckpointStore.fileName(stopped.steps())));

        // Run again: it has stopped, and stays stopped.
        TrainingResult again = train(config(40).withValidation(stopping).withCheckpoints(run, 13)
                .withKeepCheckpoints(100));
        assertThat(again.stoppedEarly()).isTrue();
        assertThat(again.steps()).isEqualTo(stopped.steps());
        assertThat(again.fingerprint()).isEqualTo(stopped.fingerprint());

        // As if killed after its second validation: it validates on, and stops at the same step.
        try (Stream<Path> files = Files.list(run)) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(CheckpointStore.fileName(26))) {
                    Files.delete(file);
                }
            }
        }
        TrainingResult resumed = train(config(40).withValidation(stopping).withCheckpoints(run, 13)
                .withKeepCheckpoints(100));
        assertThat(resumed.resumedFromStep()).isEqualTo(26);
        assertThat(resumed.stoppedEarly()).isTrue();
        assertThat(resumed.steps()).isEqualTo(stopped.steps());
        assertThat(resumed.fingerprint()).isEqualTo(stopped.fingerprint());
    }

    @Test
    void theValidationSettingsArePartOfTheRunsIdentity() throws IOException {
        Path run = dir.resolve("run");
        train(config(2).withValidation(Validation.every(1, VALIDATION)).withCheckpoints(run, 0));
        assertThatThrownBy(() -> train(config(2).withCheckpoints(run, 0)))
                .isInstanceOf(IncompatibleRunException.class).hasMessageContaining("validation(data=two-spirals-9/80");
    }
}
