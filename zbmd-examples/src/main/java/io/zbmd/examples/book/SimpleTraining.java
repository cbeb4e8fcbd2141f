package io.zbmd.examples.book;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Layers.Flatten;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainerConfig;
import io.zbmd.ml.train.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The book's example 4, simple neural-network training: a 784-128-10 perceptron, Adam at
 * 0.001, batches of 32, trained by {@link Trainer#fit} under its supervisor (data, model,
 * optimizer, checkpoint and metrics actors) with a checkpoint every 100 steps; then the
 * accuracy, the time and the failures recovered.
 */
public final class SimpleTraining {
    private SimpleTraining() {}

    /**
     * @param out where the report goes
     * @param data Fashion-MNIST's directory
     * @param checkpoints where checkpoints go (run again, it resumes from them)
     * @param epochs passes over the training set (the book: 10)
     * @param trainLimit train on the first this many images (0: all)
     * @return how training went
     * @throws IOException if the dataset or the checkpoint directory cannot be used
     */
    public static TrainingResult run(PrintStream out, Path data, Path checkpoints, int epochs, int trainLimit)
            throws IOException {
        FashionMnist dataset = FashionMnist.load(data);
        ImageDataset train = trainLimit == 0 ? dataset.train() : dataset.train().first(trainLimit);
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(1L << 30));
                TensorScope scope = TensorScope.create(cpu)) {
            Sequential model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(1);
                model = new Sequential(new Flatten(), new Linear(784, 128, true, init), new ReLU(),
                        new Linear(128, 10, true, init));
            }
            TrainerConfig config = TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(1)
                            .withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD), epochs,
                    0.001).withCheckpoints(checkpoints, 100).withRunConfig("example=simple-training");
            TrainingResult result = Trainer.fit(model, train, dataset.test(), config);
            out.println("Training completed!");
            out.printf(Locale.ROOT, "Final accuracy: %.2f%%%n", result.testAccuracy() * 100);
            out.printf(Locale.ROOT, "Training time: %.2fs%n", result.elapsed().toNanos() / 1e9);
            out.printf(Locale.ROOT, "Failures recovered: %d%s%n", result.totalRecoveries(),
                    result.resumedFromStep() > 0 ? " (resumed at step " + result.resumedFromStep() + ")" : "");
            return result;
        }
    }
}
