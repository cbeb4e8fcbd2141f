package io.zbmd.ml.data;

import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Changes a batch after the {@link DataLoader} gathered it and before the model sees it:
 * standardisation, one-hot targets, augmentation. A transform is part of what decides a run's
 * weights, so its {@link #description()} is recorded in the run's identity: two transforms
 * with the same description must compute the same thing.
 *
 * <p>A transform must be a pure function of the batch: a checkpointed run is resumed by
 * gathering the same batches again and transforming them again. Randomised augmentation draws
 * from a generator seeded by the batch's {@link Batch#epoch()} and {@link Batch#sampleIndices()}
 * (and a seed of its own), never from a generator it keeps.
 */
public interface Transform {

    /** @return what it does, with its parameters, e.g. "standardize(mean=0.286, std=0.353)" */
    String description();

    /**
     * @param batch as gathered, or as the transforms before this one left it
     * @return the transformed batch (a new one, or {@code batch} with arrays changed in place:
     *     the loader's batches are the caller's to change)
     */
    Batch apply(Batch batch);

    /**
     * @param description what it does, recorded in the run's identity
     * @param function a pure function of the batch
     * @return a transform
     */
    static Transform of(String description, UnaryOperator<Batch> function) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(function, "function");
        return new Transform() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Batch apply(Batch batch) {
                return function.apply(batch);
            }
        };
    }

    /**
     * {@code x -> (x - mean) / std} on every float input, in float arithmetic (as
     * {@code torchvision.transforms.Normalize} with one channel).
     *
     * @param mean finite
     * @param std finite, above 0
     * @return the transform
     * @throws IllegalArgumentException if a value is out of range
     */
    static Transform standardize(float mean, float std) {
        if (!Float.isFinite(mean) || !Float.isFinite(std) || !(std > 0)) {
            throw new IllegalArgumentException("standardize needs a finite mean and a finite std above 0, got mean "
                    + mean + " and std " + std);
        }
        return of(String.format(Locale.ROOT, "standardize(mean=%s, std=%s)", mean, std), batch -> {
            if (!(batch.inputs() instanceof Column.Floats floats)) {
                throw new IllegalArgumentException("standardize needs float inputs; the batch's are "
                        + batch.inputs().describe());
            }
            float[] values = floats.values();
            for (int i = 0; i < values.length; i++) {
                values[i] = (values[i] - mean) / std;
            }
            return batch;
        });
    }

    /**
     * Class-index targets {@code [n]} become float rows {@code [n, classes]}, 1 at the class and
     * 0 elsewhere (for a mean-squared-error or binary cross-entropy loss).
     *
     * @param classes how many classes, 1 or more
     * @return the transform
     */
    static Transform oneHot(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("oneHot needs 1 or more classes, got " + classes);
        }
        return of("one_hot(classes=" + classes + ")", batch -> {
            if (!(batch.targets() instanceof Column.Ints ints) || ints.shape().length != 1) {
                throw new IllegalArgumentException("oneHot needs int class targets [n]; the batch's are "
                        + batch.targets().describe());
            }
            int[] labels = ints.values();
            float[] rows = new float[labels.length * classes];
            for (int k = 0; k < labels.length; k++) {
                if (labels[k] < 0 || labels[k] >= classes) {
                    throw new IllegalArgumentException("oneHot(" + classes + "): example " + batch.sampleIndices()[k]
                            + " has class " + labels[k]);
                }
                rows[k * classes + labels[k]] = 1f;
            }
            return batch.withTargets(Column.floats(rows, labels.length, classes));
        });
    }
}
