package io.zbmd.ml.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * One batch from a {@link DataLoader}: the examples' inputs and targets as {@link Column}s,
 * for the tensor layer to copy off-heap, and where they came from.
 *
 * <p>Row {@code k} of both columns is the example {@code sampleIndices[k]} of the dataset.
 * {@code epoch} and {@code firstSampleInEpoch} say where in the loader's sequence the batch
 * came from: the position after it is {@code firstSampleInEpoch + size()} in that epoch. An
 * epoch's last batch may be smaller than the batch size (unless the loader drops it).
 *
 * <p>The loader allocates new arrays for each batch and never touches them again: the receiver
 * owns them and may overwrite them. Hand a batch from one thread to another through a safe
 * publication (a queue, an actor message). Records compare arrays by reference.
 *
 * @param inputs what the model reads, one row per example
 * @param targets what the loss compares its output with, one row per example
 * @param sampleIndices each example's index in the dataset
 * @param epoch the epoch this batch belongs to
 * @param firstSampleInEpoch the position of its first example in the epoch's order
 */
public record Batch(Column inputs, Column targets, int[] sampleIndices, int epoch, int firstSampleInEpoch) {
    /**
     * @throws IllegalArgumentException if the columns and indices disagree on the example
     *     count, there is no example, or a position is negative
     * @throws NullPointerException if an argument is null
     */
    public Batch {
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(sampleIndices, "sampleIndices");
        if (sampleIndices.length < 1 || epoch < 0 || firstSampleInEpoch < 0) {
            throw new IllegalArgumentException("a batch needs 1 or more examples and epoch and firstSampleInEpoch 0 or"
                    + " more, had " + sampleIndices.length + ", " + epoch + ", " + firstSampleInEpoch);
        }
        if (inputs.examples() != sampleIndices.length || targets.examples() != sampleIndices.length) {
            throw new IllegalArgumentException("a batch of " + sampleIndices.length + " examples got inputs "
                    + inputs.describe() + " and targets " + targets.describe());
        }
    }

    /** @return how many examples, 1 or more */
    public int size() {
        return sampleIndices.length;
    }

    /** @return values per example of the inputs */
    public int featuresPerSample() {
        return inputs.width();
    }

    /**
     * @return the float inputs' values, {@code size() × featuresPerSample()}, row-major
     * @throws IllegalStateException if the inputs are ints
     */
    public float[] features() {
        if (inputs instanceof Column.Floats floats) {
            return floats.values();
        }
        throw new IllegalStateException("the batch's inputs are " + inputs.describe() + ", not floats");
    }

    /**
     * @return the class labels, one per example
     * @throws IllegalStateException if the targets are not int class indices {@code [n]}
     */
    public int[] labels() {
        if (targets instanceof Column.Ints ints && ints.shape().length == 1) {
            return ints.values();
        }
        throw new IllegalStateException("the batch's targets are " + targets.describe() + ", not class indices [n]");
    }

    /** @return this batch with other inputs (as many examples) */
    public Batch withInputs(Column value) {
        return new Batch(value, targets, sampleIndices, epoch, firstSampleInEpoch);
    }

    /** @return this batch with other targets (as many examples) */
    public Batch withTargets(Column value) {
        return new Batch(inputs, value, sampleIndices, epoch, firstSampleInEpoch);
    }

    /** @return examples {@code from} to {@code to} of this batch, copied (a micro-batch) */
    public Batch range(int from, int to) {
        return new Batch(inputs.range(from, to), targets.range(from, to),
                Arrays.copyOfRange(sampleIndices, from, to), epoch, firstSampleInEpoch + from);
    }
}
