package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.ArrayDataset;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.TextCorpus;
import io.zbmd.ml.data.Transform;
import io.zbmd.ml.nn.Gpt;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.OptimizerFactory;
import io.zbmd.ml.optim.ScheduleFactory;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Trainer#fit} beyond byte-image classifiers: a two-spirals classifier of float points,
 * a regression of float targets with SGD, clipping and gradient accumulation, and a loss of the
 * user's own. Each trains under supervision with checkpoints, and a run resumed from a
 * checkpoint (the later ones deleted, as if the process had died) ends with the weights of a
 * run that was never interrupted, bit for bit.
 */
class TrainAnythingTest {
    @TempDir
    Path dir;

    /** Two interleaved spirals, one per class, with a little noise: not linearly separable. */
    static ArrayDataset spirals(int perClass, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] points = new float[2 * perClass * 2];
        int[] labels = new int[2 * perClass];
        for (int i = 0; i < 2 * perClass; i++) {
            int label = i % 2;
            double t = 0.25 + 0.75 * random.nextDouble();
            double angle = 3 * Math.PI * t + label * Math.PI;
            points[2 * i] = (float) (t * Math.cos(angle) + 0.02 * random.nextGaussian());
            points[2 * i + 1] = (float) (t * Math.sin(angle) + 0.02 * random.nextGaussian());
            labels[i] = label;
        }
        return ArrayDataset.of("two-spirals-" + seed, Column.floats(points, 2 * perClass, 2),
                Column.ints(labels, 2 * perClass));
    }

    /** y = sin(3x) + x²/2 on x in [-1, 1], two outputs per example (the second is y's negation). */
    static ArrayDataset curve(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[size];
        float[] y = new float[size * 2];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
            y[2 * i] = (float) (Math.sin(3 * x[i]) + x[i] * x[i] / 2);
            y[2 * i + 1] = -y[2 * i];
        }
        return ArrayDataset.of("curve-" + seed, Column.floats(x, size, 1), Column.floats(y, size, 2));
    }

    private static TrainedRun train(Function<SplittableRandom, Module> model, Dataset train, Dataset test,
            TrainerConfig config) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(cpu)) {
            Module net;
            try (var ignored = scope.enter()) {
                net = model.apply(new SplittableRandom(11));
            }
            TrainingResult result = Trainer.fit(net, train, test, config);
            return TrainedRun.of(result, net);
        }
    }

    private static Module spiralNet(SplittableRandom init) {
        return new Sequential(new Linear(2, 32, true, init), new Tanh(), new Linear(32, 32, true, init), new Tanh(),
                new Linear(32, 2, true, init));
    }

    private static Module curveNet(SplittableRandom init) {
        return new Sequential(new Linear(1, 24, true, init), new Tanh(), new Linear(24, 2, true, init));
    }

    /**
     * Trains {@code config} uninterrupted, then with checkpoints every {@code every} steps, then
     * again after deleting every checkpoint past the second (a run killed there): the three end
     * with the same weights.
     */
    private TrainedRun assertResumesBitExact(Function<SplittableRandom, Module> model, Dataset train, Dataset test,
            TrainerConfig config, int every) throws IOException {
        TrainedRun clean = train(model, train, test, config);
        Path run = dir.resolve("run-" + System.identityHashCode(config));
        TrainerConfig checkpointed = config.withCheckpoints(run, every).withKeepCheckpoints(100);
        train(model, train, test, checkpointed).assertSameWeightsAs(clean);
        try (Stream<Path> files = Files.list(run)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(CheckpointStore.fileName(every)) && !name.equals(CheckpointStore.fileName(2L * every))) {
                    Files.delete(file);
                }
            }
        }
        TrainedRun resumed = train(model, train, test, checkpointed);
        assertThat(resumed.result().resumedFromStep()).isEqualTo(2L * every);
        resumed.assertSameWeightsAs(clean);
        return clean;
    }

    @Test
    void aTwoSpiralsClassifierOfFloatPointsTrainsAndResumesBitExact() throws IOException {
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(4), 30,
                TrainingTask.classification(0.03)).withRunConfig("model=spirals-mlp");
        TrainedRun clean = assertResumesBitExact(TrainAnythingTest::spiralNet, spirals(200, 1), spirals(100, 2), config,
                60);
        assertThat(clean.result().steps()).isEqualTo(30 * 13);
        assertThat(clean.result().testAccuracy()).isGreaterThan(0.95);
        assertThat(clean.result().testLoss()).isLessThan(0.2);
    }

    @Test
    void aGptLanguageModelOfBytesTrainsUnderSupervisionAndResumesBitExact() throws IOException {
        Path text = dir.resolve("text");
        Files.createDirectories(text);
        StringBuilder words = new StringBuilder();
        SplittableRandom pick = new SplittableRandom(9);
        String[] vocabulary = {"the ", "cat ", "sat ", "on ", "a ", "mat ", "and ", "dog ", "ran. "};
        while (words.length() < 3000) {
            words.append(vocabulary[pick.nextInt(vocabulary.length)]);
        }
        Files.writeString(text.resolve("words"), words);
        TextCorpus corpus = TextCorpus.load(text);
        Gpt.Config shape = new Gpt.Config(256, 16, 2, 2, 32, 0.1f, true); // dropout's masks must replay too
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(4), 2,
                TrainingTask.of(Loss.nextTokenCrossEntropy(), OptimizerFactory.adamW(), 3e-3))
                .withRunConfig("model=gpt-tiny");
        TrainedRun clean = assertResumesBitExact(init -> new Gpt(shape, init), corpus.training(16),
                corpus.validation(16), config, 40);
        assertThat(clean.result().steps()).isEqualTo(2L * ((corpus.training(16).size() + 31) / 32));
        assertThat(clean.result().testAccuracy()).as("no classes here").isNaN();
        // ln 256 ≈ 5.55 nats for a model that knows nothing; nine words in random order are far easier.
        assertThat(clean.result().testLoss()).isLessThan(2.0);
    }

    @Test
    void aRegressionOfFloatTargetsWithSgdClippingAndAccumulationTrainsAndResumesBitExact() throws IOException {
        Dataset train = curve(256, 3);
        Dataset test = curve(128, 4);
        double variance = variance(test);
        TrainingTask task = TrainingTask.of(Loss.mse(), OptimizerFactory.sgd(0.9, 0, false), 0.1)
                .withSchedule(ScheduleFactory.step(200, 0.5)).withGradientClipping(1.0).withAccumulation(2);
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(5), 40, task)
                .withRunConfig("model=curve-mlp");
        TrainedRun clean = assertResumesBitExact(TrainAnythingTest::curveNet, train, test, config, 50);
        assertThat(clean.result().steps()).isEqualTo(40 * 8); // 16 batches per epoch, 2 to a step
        assertThat(clean.result().testAccuracy()).isNaN();
        assertThat(clean.result().testLoss()).isLessThan(0.03 * variance);
    }

    @Test
    void aLossOfTheUsersOwnTrainsAndResumesBitExact() throws IOException {
        // Huber with delta 0.1 from tensor operations: 0.5·e²/0.1 up to |e| = 0.1, |e| - 0.05 beyond.
        Loss huber = Loss.of("huber(delta=0.1)", (output, target) -> {
            Tensor error = output.sub(target).abs();
            Tensor beyond = error.sub(0.1f).relu();
            return error.sub(beyond).square().mul(5f).add(beyond).mean();
        });
        Dataset train = curve(256, 6);
        Dataset test = curve(128, 7);
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(6), 80,
                TrainingTask.of(huber, OptimizerFactory.adamW(), 0.03)).withRunConfig("model=curve-mlp");
        TrainedRun clean = assertResumesBitExact(TrainAnythingTest::curveNet, train, test, config, 40);
        assertThat(clean.result().testLoss()).isLessThan(0.05 * huberOfPredictingZero(test));
    }

    @Test
    void aRunOfAnotherTaskDoesNotResumeFromTheseCheckpoints() throws IOException {
        Path run = dir.resolve("run");
        TrainerConfig mse = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(6), 2,
                TrainingTask.of(Loss.mse(), OptimizerFactory.adam(), 0.01)).withCheckpoints(run, 0);
        train(TrainAnythingTest::curveNet, curve(64, 1), curve(32, 2), mse);
        assertThatThrownBy(() -> train(TrainAnythingTest::curveNet, curve(64, 1), curve(32, 2),
                mse.withTask(mse.task().withLoss(Loss.l1()))))
                .isInstanceOf(IncompatibleRunException.class).hasMessageContaining("loss=l1")
                .hasMessageContaining("loss=mse");
    }

    @Test
    void aLossThatIsNotAScalarStopsTheRunAtOnceWithItsMessage() {
        Loss perExample = Loss.of("unreduced", (output, target) -> output.sub(target).square());
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(16), 1,
                TrainingTask.of(perExample, OptimizerFactory.adam(), 0.01));
        assertThatThrownBy(() -> train(TrainAnythingTest::curveNet, curve(64, 1), curve(32, 2), config))
                .isInstanceOf(TrainingFailedException.class)
                .hasMessageContaining("failed twice the same way")
                .hasMessageContaining("the loss unreduced returned a tensor of shape [16, 2] at step 0");
    }

    @Test
    void aNonFiniteLossStopsTheRunBeforeItsUpdateAndLeavesTheCheckpoints() throws IOException {
        Path run = dir.resolve("run");
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(2), 3,
                TrainingTask.of(Loss.mse(), OptimizerFactory.sgd(0, 0, false), 1e6)
                        .withSchedule(ScheduleFactory.constant())).withCheckpoints(run, 1);
        TrainingFailedException failure = catchThrowableOfType(TrainingFailedException.class,
                () -> train(TrainAnythingTest::curveNet, curve(64, 1), curve(32, 2), config));
        Matcher stopped = Pattern.compile("the loss is (NaN|Infinity) at step (\\d+) .*before this step's update.*",
                Pattern.DOTALL).matcher(failure.getMessage());
        assertThat(stopped.matches()).as(failure.getMessage()).isTrue();
        long step = Long.parseLong(stopped.group(2));
        assertThat(step).isPositive();
        // Every step before it committed and was checkpointed; those checkpoints are intact and finite.
        try (Recovery recovery = CheckpointStore.open(run, 3).latestValid()) {
            assertThat(recovery.rejected()).isEmpty();
            Checkpoint newest = recovery.checkpoint().orElseThrow();
            assertThat(newest.step()).isEqualTo(step);
            newest.model().forEach((name, data) -> {
                for (float value : data.toFloatArray()) {
                    assertThat(value).as(name).isFinite();
                }
            });
        }
    }

    @Test
    void aTransformReachesTheLossAndTheEvaluation() throws IOException {
        // One-hot targets and a mean-squared error: a classifier trained as a regression.
        TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(4)
                .withTransforms(Transform.oneHot(2)), 30, TrainingTask.of(Loss.mse(), OptimizerFactory.adam(), 0.03));
        TrainedRun outcome = train(TrainAnythingTest::spiralNet, spirals(200, 1), spirals(100, 2), config);
        assertThat(outcome.result().testAccuracy()).isNaN(); // the targets are one-hot rows now
        assertThat(outcome.result().testLoss()).isLessThan(0.1);
    }

    private static double variance(Dataset data) {
        float[] y = ((Column.Floats) data.targets(allIndices(data))).values();
        double mean = 0;
        for (float v : y) {
            mean += v;
        }
        mean /= y.length;
        double sum = 0;
        for (float v : y) {
            sum += (v - mean) * (v - mean);
        }
        return sum / y.length;
    }

    private static double huberOfPredictingZero(Dataset data) {
        float[] y = ((Column.Floats) data.targets(allIndices(data))).values();
        double sum = 0;
        for (float v : y) {
            double e = Math.abs(v);
            sum += e <= 0.1 ? 5 * e * e : e - 0.05;
        }
        return sum / y.length;
    }

    private static int[] allIndices(Dataset data) {
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }
}
