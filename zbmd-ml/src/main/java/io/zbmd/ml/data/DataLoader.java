package io.zbmd.ml.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Cuts a {@link Dataset} into {@link Batch}es, epoch after epoch, with a fresh shuffle
 * per epoch that depends only on the seed and the epoch number. Because of that, the loader's
 * whole future is a function of its {@link #position()}: save the position with a checkpoint,
 * {@link #seek} a new loader (same dataset, same config) to it after a crash, and it hands out
 * exactly the batches the old one would have.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.create(data.train(), DataLoaderConfig.ofBatchSize(128).withSeed(7));
 * loader.seek(checkpoint.loaderPosition());           // or start at LoaderPosition.START
 * while (loader.batchesLeftInEpoch() > 0) { ... loader.next() ... }
 * }</pre>
 *
 * <p>An epoch ends when fewer than one sample (or, with {@code dropLast}, fewer than one full
 * batch) is left; the position then moves to the start of the next epoch, so a position saved
 * between epochs resumes at the next one.
 *
 * <p>Not thread-safe: one owner (a training actor, a thread) calls it. The dataset it reads is
 * immutable, so several loaders may share one.
 */
public final class DataLoader {
    /** Weyl increment of SplitMix64, to spread epoch numbers before mixing. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final Dataset dataset;
    private final DataLoaderConfig config;
    private final List<Transform> pipeline;
    private int epoch;
    private int sampleInEpoch;
    /** The current epoch's order: order[i] is the dataset index of the i-th sample handed out. */
    private int[] order;

    private DataLoader(Dataset dataset, DataLoaderConfig config) {
        this.dataset = dataset;
        this.config = config;
        this.pipeline = config.pipeline();
        this.order = epochOrder(dataset.size(), config, 0);
    }

    /**
     * @param dataset the samples, at least one (at least a batch's worth with {@code dropLast})
     * @param config how to batch them
     * @return a loader at {@link LoaderPosition#START}
     * @throws IllegalArgumentException if the dataset would yield no batch per epoch
     * @throws NullPointerException if an argument is null
     */
    public static DataLoader create(Dataset dataset, DataLoaderConfig config) {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(config, "config");
        if (dataset.size() == 0 || (config.dropLast() && dataset.size() < config.batchSize())) {
            throw new IllegalArgumentException("dataset " + dataset.name() + " has " + dataset.size() + " samples, "
                    + "which yields no batch of " + config.batchSize() + (config.dropLast() ? " with dropLast" : ""));
        }
        return new DataLoader(dataset, config);
    }

    /**
     * The order in which an epoch visits a dataset: a Fisher–Yates shuffle (Durstenfeld's
     * in-place form) of {@code 0 .. sampleCount-1} driven by a {@link SplittableRandom} seeded
     * from {@code (seed, epoch)} alone, or the identity when the config does not shuffle.
     *
     * @param sampleCount how many samples, 0 or more
     * @param config supplies the seed and whether to shuffle
     * @param epoch the epoch, 0 or more
     * @return a new array holding a permutation of the sample indices
     * @throws IllegalArgumentException if {@code sampleCount} or {@code epoch} is negative
     */
    public static int[] epochOrder(int sampleCount, DataLoaderConfig config, int epoch) {
        if (sampleCount < 0 || epoch < 0) {
            throw new IllegalArgumentException("sampleCount and epoch must be 0 or more, were " + sampleCount + " and "
                    + epoch);
        }
        int[] order = new int[sampleCount];
        for (int i = 0; i < sampleCount; i++) {
            order[i] = i;
        }
        if (!config.shuffle()) {
            return order;
        }
        // SplittableRandom(s) draws mix(s + G), mix(s + 2G), ...: seeding epoch e with s + e·G
        // would make epoch e+1 replay epoch e's draws shifted by one. Mixing (seed, epoch)
        // through SplitMix64's finaliser first leaves no such linear relation between epochs.
        SplittableRandom random = new SplittableRandom(mix64(config.seed() ^ mix64((epoch + 1L) * GOLDEN_GAMMA)));
        for (int i = sampleCount - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swapped = order[i];
            order[i] = order[j];
            order[j] = swapped;
        }
        return order;
    }

    /** SplitMix64's finaliser (Stafford's variant 13): a bijection that spreads every input bit. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Hands out the next batch, moving into the next epoch when this one is used up.
     *
     * @return the batch: {@code batchSize} samples, or fewer for an epoch's last batch unless
     *     {@code dropLast}
     * @throws ArithmeticException after {@link Integer#MAX_VALUE} epochs
     */
    public Batch next() {
        int count = Math.min(config.batchSize(), dataset.size() - sampleInEpoch);
        if (count < 1 || (config.dropLast() && count != config.batchSize())) {
            // moveTo keeps the position inside an epoch with a batch left; this would be a bug here.
            throw new IllegalStateException("loader at " + position() + " has no batch of " + config.batchSize()
                    + " left in " + dataset.size() + " samples");
        }
        int[] indices = Arrays.copyOfRange(order, sampleInEpoch, sampleInEpoch + count);
        Column inputs = dataset.inputs(indices);
        Column targets = dataset.targets(indices);
        if (inputs.examples() != count || targets.examples() != count) {
            throw new IllegalStateException("dataset " + dataset.name() + " gave inputs " + inputs.describe()
                    + " and targets " + targets.describe() + " for " + count + " examples");
        }
        Batch batch = new Batch(inputs, targets, indices, epoch, sampleInEpoch);
        for (Transform transform : pipeline) {
            batch = Objects.requireNonNull(transform.apply(batch), () -> transform.description() + " returned null");
            if (batch.size() != count) {
                throw new IllegalStateException("transform " + transform.description() + " changed the batch's size"
                        + " from " + count + " to " + batch.size());
            }
        }
        moveTo(epoch, sampleInEpoch + count);
        return batch;
    }

    /** @return where the next batch starts (always inside an epoch that has a batch left) */
    public LoaderPosition position() {
        return new LoaderPosition(epoch, sampleInEpoch);
    }

    /**
     * Moves to a saved position; the batches that follow are exactly those a loader with the same
     * dataset and config handed out after reaching it. A position at the end of an epoch (no
     * sample, or with {@code dropLast} no full batch, left) means the start of the next one.
     *
     * @param position where to continue, its {@code sampleInEpoch} at most the dataset size
     * @throws IllegalArgumentException if {@code sampleInEpoch} is beyond the dataset size
     * @throws NullPointerException if {@code position} is null
     */
    public void seek(LoaderPosition position) {
        Objects.requireNonNull(position, "position");
        if (position.sampleInEpoch() > dataset.size()) {
            throw new IllegalArgumentException("position.sampleInEpoch must be at most " + dataset.size()
                    + " (the size of " + dataset.name() + "), was " + position.sampleInEpoch());
        }
        if (position.epoch() != epoch) {
            order = epochOrder(dataset.size(), config, position.epoch());
        }
        epoch = position.epoch();
        moveTo(position.epoch(), position.sampleInEpoch());
    }

    /** Sets the position, moving to the next epoch's start when this one has no batch left. */
    private void moveTo(int newEpoch, int newSampleInEpoch) {
        int left = dataset.size() - newSampleInEpoch;
        if (left == 0 || (config.dropLast() && left < config.batchSize())) {
            epoch = Math.addExact(newEpoch, 1);
            sampleInEpoch = 0;
            order = epochOrder(dataset.size(), config, epoch);
        } else {
            epoch = newEpoch;
            sampleInEpoch = newSampleInEpoch;
        }
    }

    /** @return how many batches a whole epoch has */
    public int batchesPerEpoch() {
        return batchesFrom(0);
    }

    /** @return how many batches {@link #next()} hands out before the epoch changes, 1 or more */
    public int batchesLeftInEpoch() {
        return batchesFrom(sampleInEpoch);
    }

    private int batchesFrom(int start) {
        long left = dataset.size() - start;
        long batchSize = config.batchSize();
        return (int) (config.dropLast() ? left / batchSize : (left + batchSize - 1) / batchSize);
    }

    /** @return the dataset it reads */
    public Dataset dataset() {
        return dataset;
    }

    /** @return its config */
    public DataLoaderConfig config() {
        return config;
    }
}
