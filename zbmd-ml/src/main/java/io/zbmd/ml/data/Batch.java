package io.zbmd.ml.data;

import java.util.Objects;

/**
 * One batch from a {@link DataLoader}, as plain arrays for the tensor layer to copy off-heap.
 *
 * <p>Format: {@code features} holds {@code size} samples one after another, each
 * {@code featuresPerSample} floats (an image row-major, i.e. N × H × W, or N × 1 × H × W for a
 * one-channel NCHW tensor): sample {@code k}'s feature {@code f} is
 * {@code features[k * featuresPerSample + f]}. The arrays are exactly {@code size} samples
 * long; an epoch's last batch may be smaller than the batch size (unless the loader drops it).
 * {@code labels[k]} is sample {@code k}'s class and {@code sampleIndices[k]} its index in the
 * dataset. {@code epoch} and {@code firstSampleInEpoch} say where in the loader's sequence the
 * batch came from: the position after it is {@code firstSampleInEpoch + size} in that epoch.
 *
 * <p>The loader allocates new arrays for each batch and never touches them again: the receiver
 * owns them and may overwrite them. Not thread-safe in the sense that the arrays are mutable;
 * hand a batch from one thread to another through a safe publication (a queue, an actor
 * message). Records compare arrays by reference: compare contents with
 * {@link java.util.Arrays#equals}.
 *
 * @param features the normalised pixels, {@code size × featuresPerSample}
 * @param labels the class labels, {@code size}
 * @param sampleIndices each sample's index in the dataset, {@code size}
 * @param size how many samples, 1 or more
 * @param featuresPerSample floats per sample, 1 or more
 * @param epoch the epoch this batch belongs to
 * @param firstSampleInEpoch the position of its first sample in the epoch's order
 */
public record Batch(float[] features, int[] labels, int[] sampleIndices, int size, int featuresPerSample, int epoch,
        int firstSampleInEpoch) {
    /**
     * @throws IllegalArgumentException if the array lengths do not match {@code size} and
     *     {@code featuresPerSample}, or a count is out of range
     * @throws NullPointerException if an array is null
     */
    public Batch {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(sampleIndices, "sampleIndices");
        if (size < 1 || featuresPerSample < 1 || epoch < 0 || firstSampleInEpoch < 0) {
            throw new IllegalArgumentException("size and featuresPerSample must be 1 or more and epoch and "
                    + "firstSampleInEpoch 0 or more, were " + size + ", " + featuresPerSample + ", " + epoch + ", "
                    + firstSampleInEpoch);
        }
        if ((long) size * featuresPerSample != features.length || labels.length != size
                || sampleIndices.length != size) {
            throw new IllegalArgumentException("arrays must hold " + size + " samples of " + featuresPerSample
                    + " features: features.length " + features.length + ", labels.length " + labels.length
                    + ", sampleIndices.length " + sampleIndices.length);
        }
    }
}
