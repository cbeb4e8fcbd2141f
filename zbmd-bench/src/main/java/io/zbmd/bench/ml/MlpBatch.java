package io.zbmd.bench.ml;

import java.util.SplittableRandom;

/**
 * The synthetic batch both peers train on: {@value #SIZE} rows of {@value #FEATURES}
 * standard-normal features and labels in {@code [0, }{@value #CLASSES}{@code )}, made from a
 * seed so that every fork and every peer sees the same numbers.
 *
 * @param features row-major {@code [SIZE, FEATURES]}
 * @param labels {@code [SIZE]}
 */
record MlpBatch(float[] features, int[] labels) {
    /** Rows per batch: the samples one step trains on. */
    static final int SIZE = 128;

    /** Inputs per row (a flattened 28×28 image). */
    static final int FEATURES = 784;

    /** Output classes. */
    static final int CLASSES = 10;

    MlpBatch {
        if (features.length != SIZE * FEATURES || labels.length != SIZE) {
            throw new IllegalArgumentException("an MLP batch is " + SIZE + "×" + FEATURES + " features and " + SIZE
                    + " labels, got " + features.length + " and " + labels.length);
        }
    }

    /**
     * @param seed drives every value
     * @return the batch for that seed
     */
    static MlpBatch synthetic(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] features = new float[SIZE * FEATURES];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[SIZE];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(CLASSES);
        }
        return new MlpBatch(features, labels);
    }
}
