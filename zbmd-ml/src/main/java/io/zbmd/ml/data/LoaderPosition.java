package io.zbmd.ml.data;

/**
 * Where a {@link DataLoader} stands: the epoch, and how many samples of that epoch's order it
 * has already handed out. Saved with a checkpoint and given back to {@link DataLoader#seek},
 * it makes the loader hand out exactly the batches it would have handed out next, because an
 * epoch's order depends only on the seed and the epoch number.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param epoch the epoch, 0 or more
 * @param sampleInEpoch how many samples of the epoch's order come before the next batch, 0 or
 *     more (at most the dataset size; {@link DataLoader#seek} checks that)
 */
public record LoaderPosition(int epoch, int sampleInEpoch) {
    /** The start of the first epoch. */
    public static final LoaderPosition START = new LoaderPosition(0, 0);

    /**
     * @throws IllegalArgumentException naming the component and the bad value
     */
    public LoaderPosition {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be 0 or more, was " + epoch);
        }
        if (sampleInEpoch < 0) {
            throw new IllegalArgumentException("sampleInEpoch must be 0 or more, was " + sampleInEpoch);
        }
    }
}
