package io.zbmd.examples.ml;

import io.zbmd.ml.nn.Layers.BatchNorm;
import io.zbmd.ml.nn.Layers.Conv2d;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Flatten;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.MaxPool2d;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import java.util.SplittableRandom;

/**
 * The two Fashion-MNIST classifiers of the README's results, built in the current tensor
 * scope from a seed (the same seed gives the same initial weights).
 */
public final class FashionMnistModels {
    private FashionMnistModels() {}

    /** Image side, channels and classes of Fashion-MNIST. */
    static final int SIDE = 28;

    static final int CLASSES = 10;

    /**
     * The multilayer perceptron 784-256-128-10 with ReLU (the benchmark's MLP), input
     * {@code [n, 784]} or {@code [n, 1, 28, 28]}.
     *
     * @param seed initialisation seed
     * @return the model
     */
    public static Sequential mlp(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new Sequential(
                new Flatten(),
                new Linear(SIDE * SIDE, 256, true, random),
                new ReLU(),
                new Linear(256, 128, true, random),
                new ReLU(),
                new Linear(128, CLASSES, true, random));
    }

    /**
     * A small CNN under 100K parameters, input {@code [n, 1, 28, 28]}: two 3×3 convolutions
     * (32 and 64 channels) each with batch norm, ReLU and 2×2 max pooling, then dropout and
     * one linear layer.
     *
     * @param seed initialisation and dropout seed
     * @return the model
     */
    public static Sequential cnn(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Module[] layers = {
            new Conv2d(1, 32, 3, 1, 1, random),
            new BatchNorm(32, 0.1f, 1e-5f),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(32, 64, 3, 1, 1, random),
            new BatchNorm(64, 0.1f, 1e-5f),
            new ReLU(),
            new MaxPool2d(2),
            new Flatten(),
            new Dropout(0.25f, random.nextLong()),
            new Linear(64 * 7 * 7, CLASSES, true, random),
        };
        return new Sequential(layers);
    }
}
