package io.zbmd.ml.data;

/**
 * How a {@link DataLoader} batches: batch size, whether and with which seed to shuffle,
 * whether to drop a last partial batch, and how to normalise pixels. Each pixel byte {@code b}
 * becomes {@code ((b / 255f) - mean) / std} in float arithmetic; the defaults (mean 0, std 1)
 * give exactly {@code b / 255f}, in [0, 1].
 *
 * <p>Build one with {@link #ofBatchSize(int)} and the {@code with…} methods:
 * {@code DataLoaderConfig.ofBatchSize(128).withSeed(42).withDropLast(true)}.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param batchSize samples per batch, 1 or more
 * @param seed the shuffling seed; with the epoch number it alone decides each epoch's order
 * @param shuffle whether to shuffle (else samples come in dataset order every epoch)
 * @param dropLast whether to skip an epoch's last batch when it would be smaller than
 *     {@code batchSize} (its samples are then not seen that epoch)
 * @param mean subtracted from each pixel after scaling to [0, 1]; finite
 * @param std divides each pixel after subtracting the mean; finite and above 0
 */
public record DataLoaderConfig(int batchSize, long seed, boolean shuffle, boolean dropLast, float mean, float std) {
    /** Default seed of {@link #ofBatchSize(int)}. */
    public static final long SEED_DEFAULT = 0;

    /**
     * @throws IllegalArgumentException naming the component and the bad value
     */
    public DataLoaderConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be 1 or more, was " + batchSize);
        }
        if (!Float.isFinite(mean)) {
            throw new IllegalArgumentException("mean must be finite, was " + mean);
        }
        if (!Float.isFinite(std) || std <= 0) {
            throw new IllegalArgumentException("std must be finite and above 0, was " + std);
        }
    }

    /**
     * @param batchSize samples per batch, 1 or more
     * @return a config that shuffles with {@link #SEED_DEFAULT}, keeps the last partial batch
     *     and scales pixels to [0, 1]
     * @throws IllegalArgumentException if {@code batchSize} is below 1
     */
    public static DataLoaderConfig ofBatchSize(int batchSize) {
        return new DataLoaderConfig(batchSize, SEED_DEFAULT, true, false, 0f, 1f);
    }

    /**
     * @param seed the shuffling seed
     * @return this config with that seed
     */
    public DataLoaderConfig withSeed(long seed) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std);
    }

    /**
     * @param shuffle whether to shuffle each epoch
     * @return this config with that choice
     */
    public DataLoaderConfig withShuffle(boolean shuffle) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std);
    }

    /**
     * @param dropLast whether to skip a last batch smaller than the batch size
     * @return this config with that choice
     */
    public DataLoaderConfig withDropLast(boolean dropLast) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std);
    }

    /**
     * @param mean subtracted after scaling to [0, 1], e.g. {@link FashionMnist#TRAIN_PIXEL_MEAN}
     * @param std divides after that, e.g. {@link FashionMnist#TRAIN_PIXEL_STD}
     * @return this config standardising with them
     * @throws IllegalArgumentException if {@code mean} is not finite or {@code std} is not a
     *     finite value above 0
     */
    public DataLoaderConfig withStandardization(float mean, float std) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std);
    }

    /** @return the value each pixel byte 0 to 255 becomes, computed once per loader */
    float[] valueOfByte() {
        float[] values = new float[256];
        for (int b = 0; b < values.length; b++) {
            values[b] = ((b / 255f) - mean) / std;
        }
        return values;
    }
}
