package io.zbmd.examples.book;

import io.zbmd.examples.ml.FashionMnistModels;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainerConfig;
import io.zbmd.ml.train.TrainingFaults;
import io.zbmd.ml.train.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The book's example 8, fault-injection testing, for training: the same run twice, once
 * clean and once with the book's rates (1 % of messages crash their actor, 0.1 % of replies
 * are lost, 0.01 % of kernels fail on the device). The system must stay functional, and here
 * more: the faulty run must end with exactly the clean run's weights.
 */
public final class TrainingUnderFaults {
    /** The book's rates. */
    public static final String FAULTS = "crash=0.01,drop=0.001,device=0.0001";

    private TrainingUnderFaults() {}

    /**
     * @param out where the report goes
     * @param data Fashion-MNIST's directory
     * @param epochs passes over the training set
     * @param trainLimit train on the first this many images (0: all)
     * @return whether both runs ended with the same weights
     * @throws IOException if the dataset cannot be read
     */
    public static boolean run(PrintStream out, Path data, int epochs, int trainLimit) throws IOException {
        FashionMnist dataset = FashionMnist.load(data);
        ImageDataset train = trainLimit == 0 ? dataset.train() : dataset.train().first(trainLimit);
        TrainingResult clean = train(dataset, train, epochs, TrainingFaults.NONE);
        TrainingResult faulty = train(dataset, train, epochs, TrainingFaults.parse(FAULTS, 8));
        out.printf(Locale.ROOT, "clean:  accuracy %.4f in %.1f s%n", clean.testAccuracy(),
                clean.elapsed().toNanos() / 1e9);
        out.printf(Locale.ROOT, "faults: accuracy %.4f in %.1f s, recovered %s%n", faulty.testAccuracy(),
                faulty.elapsed().toNanos() / 1e9, faulty.recoveries());
        boolean same = clean.fingerprint().equals(faulty.fingerprint());
        out.println(same ? "same weights, bit for bit (" + clean.fingerprint().substring(0, 16) + "…)"
                : "DIFFERENT weights: " + clean.fingerprint() + " vs " + faulty.fingerprint());
        return same;
    }

    private static TrainingResult train(FashionMnist dataset, ImageDataset train, int epochs, TrainingFaults faults)
            throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(1L << 30)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(faults.wrap(cpu))) {
            Sequential model;
            try (var ignored = scope.enter()) {
                model = FashionMnistModels.mlp(1);
            }
            return Trainer.fit(model, train, dataset.test(), TrainerConfig.of(DataLoaderConfig.ofBatchSize(128)
                    .withSeed(1).withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD),
                    epochs, 1e-3).withFaults(faults));
        }
    }
}
