package io.zbmd.bench.ml;

import java.util.SplittableRandom;

/**
 * The synthetic batch every peer trains on: standard-normal features and labels in
 * {@code [0, }{@value StepModel#CLASSES}{@code )}, made from a seed so that every fork and
 * every peer sees the same numbers.
 *
 * @param model whose batch: its size and sample shape
 * @param features row-major {@code [batch size, features per sample]}
 * @param labels {@code [batch size]}
 */
record StepBatch(StepModel model, float[] features, int[] labels) {
    StepBatch {
        if (features.length != model.batchSize() * model.features() || labels.length != model.batchSize()) {
            throw new IllegalArgumentException("a batch of the " + model.key() + " is " + model.batchSize() + "×"
                    + model.features() + " features and " + model.batchSize() + " labels, got " + features.length
                    + " and " + labels.length);
        }
    }

    /**
     * @param model whose batch
     * @param seed drives every value
     * @return the batch for that model and seed
     */
    static StepBatch synthetic(StepModel model, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] features = new float[model.batchSize() * model.features()];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[model.batchSize()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(StepModel.CLASSES);
        }
        return new StepBatch(model, features, labels);
    }
}
