package io.zbmd.bench.ml;

import io.zbmd.examples.ml.FashionMnistModels;
import io.zbmd.ml.nn.Sequential;
import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * The examples' two Fashion-MNIST models as the training-step benchmarks run them, with the
 * batch size and Adam learning rate {@code zbmd train} gives each. Every peer starts from the
 * weights zbmd makes from {@link #SEED}.
 */
enum StepModel {
    /** The 784-256-128-10 perceptron with ReLU, batch 128, Adam 1e-3. */
    MLP("mlp", StepModel.MLP_BATCH, new int[] {784}, 1e-3, 0.35, FashionMnistModels::mlp),
    /**
     * 2 × (3×3 conv, batch norm, ReLU, 2×2 max pool), dropout, linear; batch 64, Adam 2e-3.
     * Its first logits are larger than the MLP's (the batch-normalised features reach the last
     * layer at unit scale): its first loss on the synthetic batch is about 2.75.
     */
    CNN("cnn", StepModel.CNN_BATCH, new int[] {1, 28, 28}, 2e-3, 0.7, FashionMnistModels::cnn);

    /** The MLP's batch size (a constant for JMH's operation count). */
    static final int MLP_BATCH = 128;

    /** The CNN's batch size. */
    static final int CNN_BATCH = 64;

    /** The models' seed. */
    static final long SEED = 42;

    /** Output classes of both. */
    static final int CLASSES = 10;

    private final String key;
    private final int batchSize;
    private final int[] sampleShape;
    private final double learningRate;
    private final double initialLossTolerance;
    private final LongFunction<Sequential> factory;

    StepModel(String key, int batchSize, int[] sampleShape, double learningRate, double initialLossTolerance,
            LongFunction<Sequential> factory) {
        this.key = key;
        this.batchSize = batchSize;
        this.sampleShape = sampleShape;
        this.learningRate = learningRate;
        this.initialLossTolerance = initialLossTolerance;
        this.factory = factory;
    }

    /** @return its name in {@code zbmd train} and in {@code torch_step.py} */
    String key() {
        return key;
    }

    /** @return samples per step */
    int batchSize() {
        return batchSize;
    }

    /** @return the batch's shape: the batch size, then {@link #sampleShape()} */
    int[] batchShape() {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = batchSize;
        for (int i = 0; i < sampleShape.length; i++) {
            shape[i + 1] = sampleShape[i];
        }
        return shape;
    }

    /** @return inputs per sample */
    int features() {
        return Arrays.stream(sampleShape).reduce(1, Math::multiplyExact);
    }

    /** @return Adam's fixed learning rate */
    double learningRate() {
        return learningRate;
    }

    /** @return how far from ln 10 the first loss on the synthetic batch may be */
    double initialLossTolerance() {
        return initialLossTolerance;
    }

    /**
     * Builds the model inside the caller's tensor scope.
     *
     * @return the model for {@link #SEED}, in training mode
     */
    Sequential create() {
        return factory.apply(SEED);
    }
}
