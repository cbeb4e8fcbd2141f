package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.Transform;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.OptimizerFactory;
import io.zbmd.ml.optim.ScheduleFactory;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No resume silently diverges: a checkpoint directory written by one run is refused by a run
 * that differs in any choice that changes the weights (the model, the data and its batching,
 * the task, the epochs, the backend's threads, matrix-multiply kernel and lanes), with the
 * difference named and nothing on disk changed; the same run resumes.
 */
class RunIdentityTest {
    private static final Dataset TRAIN = TrainAnythingTest.spirals(64, 1);
    private static final Dataset TEST = TrainAnythingTest.spirals(16, 2);

    @TempDir
    Path dir;

    /** One run's choices, each of which a variant changes. */
    private record Run(CpuConfig cpu, float dropout, int hidden, Dataset train, TrainerConfig config) {
        Run withCpu(CpuConfig value) {
            return new Run(value, dropout, hidden, train, config);
        }

        Run withConfig(TrainerConfig value) {
            return new Run(cpu, dropout, hidden, train, value);
        }

        Run withTask(TrainingTask value) {
            return withConfig(config.withTask(value));
        }

        Run withLoader(DataLoaderConfig value) {
            return withConfig(config.withLoader(value));
        }
    }

    private Run base() {
        return new Run(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA), 0.1f, 16, TRAIN,
                TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3), 3, TrainingTask.classification(0.01))
                        .withCheckpoints(dir, 4).withKeepCheckpoints(20).withRunConfig("model=spirals"));
    }

    private static TrainingResult fit(Run run) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(run.cpu()); TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(5);
                model = new Sequential(new Linear(2, run.hidden(), true, init), new Tanh(),
                        new Dropout(run.dropout(), 9), new Linear(run.hidden(), 2, true, init));
            }
            return Trainer.fit(model, run.train(), TEST, run.config());
        }
    }

    /** Runs the base run halfway (as if killed after step 8's checkpoint); @return the files then */
    private Map<String, byte[]> interruptedRun() throws IOException {
        fit(base());
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(io.zbmd.ml.checkpoint.CheckpointStore.fileName(8))) {
                    Files.delete(file);
                }
            }
        }
        return files();
    }

    private Map<String, byte[]> files() throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> listed = Files.list(dir)) {
            for (Path file : listed.toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    private void assertRefused(Run variant, String field, String... mentions) throws IOException {
        Map<String, byte[]> before = files();
        var refusal = assertThatThrownBy(() -> fit(variant)).as(field).isInstanceOf(IncompatibleRunException.class)
                .hasMessageContaining("\n  " + field + ": the checkpoint's run had '");
        for (String mention : mentions) {
            refusal.hasMessageContaining(mention);
        }
        Map<String, byte[]> after = files();
        assertThat(after.keySet()).as(field).isEqualTo(before.keySet());
        before.forEach((name, bytes) -> assertThat(after.get(name)).as(field + " " + name).isEqualTo(bytes));
    }

    @Test
    void everyChoiceThatChangesTheWeightsIsRecordedAndARunThatDiffersIsRefused() throws IOException {
        interruptedRun();
        Run base = base();
        // The machine's choices.
        assertRefused(base.withCpu(base.cpu().withThreads(2)), "threads", "'1'", "'2'");
        assertRefused(base.withCpu(base.cpu().withVectorApi(false)), "lanes", "scalar");
        // The model.
        assertRefused(new Run(base.cpu(), 0.2f, 16, TRAIN, base.config()), "model", "Dropout(p=0.2, seed=9)");
        // The data and its batching.
        assertRefused(new Run(base.cpu(), 0.1f, 16, TrainAnythingTest.spirals(64, 7), base.config()), "data",
                "two-spirals-7/128");
        assertRefused(base.withLoader(base.config().loader().withSeed(4)), "data", "seed=4");
        assertRefused(base.withLoader(DataLoaderConfig.ofBatchSize(8).withSeed(3)), "data", "batch=8");
        assertRefused(base.withLoader(base.config().loader().withShuffle(false)), "data", "shuffle=false");
        assertRefused(base.withLoader(base.config().loader().withDropLast(true)), "data", "drop_last=true");
        assertRefused(base.withLoader(base.config().loader().withStandardization(0.5f, 2f)), "data",
                "standardize=0.5/2.0");
        assertRefused(base.withLoader(base.config().loader().withTransforms(Transform.of("noise(seed=1)", b -> b))),
                "data", "noise(seed=1)");
        // The task.
        TrainingTask task = base.config().task();
        assertRefused(base.withTask(task.withLearningRate(0.02)), "task", "lr=0.02");
        assertRefused(base.withTask(task.withLoss(Loss.crossEntropy(0.1f))), "task", "label_smoothing=0.1");
        assertRefused(base.withTask(task.withOptimizer(OptimizerFactory.adamW())), "task", "adamw(");
        assertRefused(base.withTask(task.withOptimizer(OptimizerFactory.adam(0.8, 0.999, 1e-8, 0))), "task",
                "betas=0.8/0.999");
        assertRefused(base.withTask(task.withSchedule(ScheduleFactory.constant())), "task", "schedule=constant");
        assertRefused(base.withTask(task.withGradientClipping(1)), "task", "clip_grad_norm=1.0");
        assertRefused(base.withTask(task.withAccumulation(2)), "task", "accumulation=2");
        // The run's length, and the caller's own words.
        assertRefused(base.withConfig(base.config().withTask(task).withRunConfig("model=spirals-v2")), "notes",
                "model=spirals-v2");
        assertRefused(base.withConfig(base.config().withEpochs(4)), "epochs", "'4'");

        // The same run resumes where it stopped.
        assertThat(fit(base).resumedFromStep()).isEqualTo(8);
    }

    @Test
    void anotherMatrixMultiplyKernelIsRefused() throws IOException {
        CpuConfig openBlas = base().cpu().withGemm(CpuConfig.Gemm.OPENBLAS);
        try (CpuBackend probe = CpuBackend.create(openBlas)) {
            assumeTrue(probe.gemm().name().contains("OpenBLAS"), "OpenBLAS is not installed here");
        } catch (RuntimeException e) {
            assumeTrue(false, "OpenBLAS is not installed here: " + e.getMessage());
        }
        interruptedRun();
        assertRefused(base().withCpu(openBlas), "gemm", "zbmd Java SGEMM", "OpenBLAS");
    }

    @Test
    void theIdentityRoundTripsThroughItsTextAndOtherTextIsNotOne() {
        RunIdentity identity = new RunIdentity("=Sequential()", "d/10, batch=2", "loss=mse", 3,
                new RunIdentity.Compute("cpu", 2, "OpenBLAS 0.3.21 Zen", "vector-api-256"), "a\\b\nc=d",
                "weights w.safetensors@sha256:0123456789abcdef");
        assertThat(RunIdentity.decode(identity.encode())).hasValue(identity);
        assertThat(identity.differencesFrom(identity)).isEmpty();
        assertThat(RunIdentity.decode("model=test-cnn,epochs=4,batch=16")).isEmpty();
        assertThat(RunIdentity.decode(RunIdentity.HEADER + "\nepochs=x")).isEmpty();
    }
}
