package io.zbmd.examples.book;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.ArrayDataset;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.OptimizerFactory;
import io.zbmd.ml.optim.ScheduleFactory;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainerConfig;
import io.zbmd.ml.train.TrainingResult;
import io.zbmd.ml.train.TrainingTask;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A regression of float targets with a loss of one's own, through {@link Trainer#fit}: a small
 * network learns {@code y = sin(3x) + x²/2} on {@code [-1, 1]} under a Huber loss written with
 * tensor operations, with SGD and momentum, a step decay of the learning rate, gradient
 * clipping and two batches accumulated per update, supervised and checkpointed (run it again:
 * it resumes). {@code ./zbmd example regression [DIR]}.
 */
public final class RegressionWithCustomLoss {
    /** Huber with delta 0.1, from tensor operations: 0.5·e²/0.1 up to |e| = 0.1, |e| - 0.05 beyond. */
    public static final Loss HUBER = Loss.of("huber(delta=0.1)", (output, target) -> {
        Tensor error = output.sub(target).abs();
        Tensor beyond = error.sub(0.1f).relu();
        return error.sub(beyond).square().mul(5f).add(beyond).mean();
    });

    private RegressionWithCustomLoss() {}

    /**
     * @param size how many examples
     * @param seed where the inputs are drawn from
     * @return {@code size} pairs {@code (x, sin(3x) + x²/2)}, x uniform in [-1, 1]
     */
    public static Dataset curve(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[size];
        float[] y = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) (2 * random.nextDouble() - 1);
            y[i] = (float) (Math.sin(3 * x[i]) + x[i] * x[i] / 2);
        }
        return ArrayDataset.of("curve-" + seed, Column.floats(x, size, 1), Column.floats(y, size, 1));
    }

    /**
     * @param out where the report goes
     * @param checkpoints where checkpoints go (run again, it resumes from them)
     * @param epochs passes over the 256 training examples
     * @return how training went
     * @throws IOException if the checkpoint directory cannot be used
     */
    public static TrainingResult run(PrintStream out, Path checkpoints, int epochs) throws IOException {
        Dataset train = curve(256, 3);
        Dataset validation = curve(128, 4);
        // Products of 16 × 24 values: no native call pays off, and a fixed kernel keeps the bits fixed.
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA));
                TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(11);
                model = new Sequential(new Linear(1, 24, true, init), new Tanh(), new Linear(24, 1, true, init));
            }
            TrainingTask task = TrainingTask.of(HUBER, OptimizerFactory.sgd(0.9, 0, false), 0.05)
                    .withSchedule(ScheduleFactory.step(300, 0.5))
                    .withGradientClipping(1.0)
                    .withAccumulation(2);
            TrainingResult result = Trainer.fit(model, train, validation,
                    TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(5), epochs, task)
                            .withCheckpoints(checkpoints, 50).withRunConfig("example=regression"));
            out.printf(Locale.ROOT, "validation loss %.5f (predicting 0 everywhere: %.5f)%n", result.testLoss(),
                    lossOfZero(validation));
            out.printf(Locale.ROOT, "%d steps, %d checkpoints written, %s%n", result.steps(),
                    result.checkpointsWritten(), result.resumedFromStep() > 0
                            ? "resumed at step " + result.resumedFromStep() : "started fresh");
            return result;
        }
    }

    /** @return the Huber loss of a model that always answers 0: what training must beat */
    static double lossOfZero(Dataset data) {
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        double sum = 0;
        for (float y : ((Column.Floats) data.targets(all)).values()) {
            double e = Math.abs(y);
            sum += e <= 0.1 ? 5 * e * e : e - 0.05;
        }
        return sum / data.size();
    }
}
