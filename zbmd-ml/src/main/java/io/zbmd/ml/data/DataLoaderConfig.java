package io.zbmd.ml.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link DataLoader} batches: batch size, whether and with which seed to shuffle,
 * whether to drop a last partial batch, and what to do to each batch: standardise float inputs
 * ({@code x -> (x - mean) / std} in float arithmetic; the defaults, mean 0 and std 1, change
 * nothing: an {@link ImageDataset}'s pixels stay {@code b / 255f}, in [0, 1]), then the
 * {@link Transform}s in order.
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
 * @param transforms applied to each batch after the standardisation, in order
 */
public record DataLoaderConfig(int batchSize, long seed, boolean shuffle, boolean dropLast, float mean, float std,
        List<Transform> transforms) {
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
        transforms = List.copyOf(Objects.requireNonNull(transforms, "transforms"));
    }

    /**
     * @param batchSize samples per batch, 1 or more
     * @return a config that shuffles with {@link #SEED_DEFAULT}, keeps the last partial batch
     *     and scales pixels to [0, 1]
     * @throws IllegalArgumentException if {@code batchSize} is below 1
     */
    public static DataLoaderConfig ofBatchSize(int batchSize) {
        return new DataLoaderConfig(batchSize, SEED_DEFAULT, true, false, 0f, 1f, List.of());
    }

    /**
     * @param seed the shuffling seed
     * @return this config with that seed
     */
    public DataLoaderConfig withSeed(long seed) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std, transforms);
    }

    /**
     * @param shuffle whether to shuffle each epoch
     * @return this config with that choice
     */
    public DataLoaderConfig withShuffle(boolean shuffle) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std, transforms);
    }

    /**
     * @param dropLast whether to skip a last batch smaller than the batch size
     * @return this config with that choice
     */
    public DataLoaderConfig withDropLast(boolean dropLast) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std, transforms);
    }

    /**
     * @param mean subtracted after scaling to [0, 1], e.g. {@link FashionMnist#TRAIN_PIXEL_MEAN}
     * @param std divides after that, e.g. {@link FashionMnist#TRAIN_PIXEL_STD}
     * @return this config standardising with them
     * @throws IllegalArgumentException if {@code mean} is not finite or {@code std} is not a
     *     finite value above 0
     */
    public DataLoaderConfig withStandardization(float mean, float std) {
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std, transforms);
    }

    /**
     * @param more transforms to apply after this config's (and after the standardisation)
     * @return this config with them
     */
    public DataLoaderConfig withTransforms(Transform... more) {
        List<Transform> all = new ArrayList<>(transforms);
        all.addAll(List.of(more));
        return new DataLoaderConfig(batchSize, seed, shuffle, dropLast, mean, std, all);
    }

    /** @return whether float inputs are standardised (mean or std not the identity's 0 and 1) */
    public boolean standardizes() {
        return mean != 0f || std != 1f;
    }

    /** @return the standardisation, then the transforms, as the loader applies them */
    List<Transform> pipeline() {
        if (!standardizes()) {
            return transforms;
        }
        List<Transform> all = new ArrayList<>();
        all.add(Transform.standardize(mean, std));
        all.addAll(transforms);
        return List.copyOf(all);
    }
}
