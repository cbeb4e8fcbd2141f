package io.zbmd.ml.data;

import java.util.List;
import java.util.Objects;

/**
 * A labelled set of small greyscale images: {@code size} samples, each {@code rows × columns}
 * unsigned bytes (0 to 255) and a class label in {@code [0, classCount)}. Pixels stay bytes
 * (Fashion-MNIST's 60000 training images take 47 MB); the {@link DataLoader} converts them to
 * floats one batch at a time: inputs {@code [n, 1, rows, columns]} of {@code b / 255f}, targets
 * the int class labels {@code [n]}.
 *
 * <p>Immutable, so thread-safe; {@link #first(int)} shares the storage instead of copying it.
 */
public final class ImageDataset implements Dataset {
    /** Each pixel byte's value as an input, {@code b / 255f}. */
    private static final float[] VALUE_OF_BYTE = new float[256];

    static {
        for (int b = 0; b < VALUE_OF_BYTE.length; b++) {
            VALUE_OF_BYTE[b] = b / 255f;
        }
    }

    private final String name;
    private final int rows;
    private final int columns;
    private final byte[] pixels;
    private final byte[] labels;
    private final int size;
    private final List<String> classNames;

    private ImageDataset(String name, int rows, int columns, byte[] pixels, byte[] labels, int size,
            List<String> classNames) {
        this.name = name;
        this.rows = rows;
        this.columns = columns;
        this.pixels = pixels;
        this.labels = labels;
        this.size = size;
        this.classNames = classNames;
    }

    /**
     * Builds a dataset from copies of the given arrays.
     *
     * @param name what to call it in messages, e.g. "fashion-mnist/train"
     * @param rows image height in pixels, 1 or more
     * @param columns image width in pixels, 1 or more
     * @param pixels the images one after another, row-major, unsigned bytes; length
     *     {@code labels.length × rows × columns}
     * @param labels one class label per image, unsigned bytes below {@code classNames.size()}
     * @param classNames the name of each class, at least one
     * @return the dataset
     * @throws IllegalArgumentException naming the argument and the bad value if the sizes do not
     *     agree or a label is out of range
     * @throws NullPointerException if an argument is null
     */
    public static ImageDataset of(String name, int rows, int columns, byte[] pixels, byte[] labels,
            List<String> classNames) {
        return wrap(name, rows, columns, pixels.clone(), labels.clone(), classNames);
    }

    /** As {@link #of}, without copying: for this package's loaders, which give up the arrays. */
    static ImageDataset wrap(String name, int rows, int columns, byte[] pixels, byte[] labels, List<String> classNames) {
        Objects.requireNonNull(name, "name");
        List<String> names = List.copyOf(classNames);
        if (rows < 1 || columns < 1) {
            throw new IllegalArgumentException("rows and columns must be 1 or more, were " + rows + " and " + columns);
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("classNames must name at least one class");
        }
        if ((long) labels.length * rows * columns != pixels.length) {
            throw new IllegalArgumentException("pixels must hold " + labels.length + " × " + rows + " × " + columns
                    + " bytes (one image per label), held " + pixels.length);
        }
        for (int index = 0; index < labels.length; index++) {
            if ((labels[index] & 0xFF) >= names.size()) {
                throw new IllegalArgumentException("labels[" + index + "] is " + (labels[index] & 0xFF) + ", expected 0 to "
                        + (names.size() - 1));
            }
        }
        return new ImageDataset(name, rows, columns, pixels, labels, labels.length, names);
    }

    /**
     * A dataset of this one's first samples, for fast tests. Shares this one's storage.
     *
     * @param count how many samples to keep, 0 to {@link #size()}
     * @return the first {@code count} samples, named e.g. "fashion-mnist/train[:1000]"
     * @throws IllegalArgumentException if {@code count} is out of range
     */
    public ImageDataset first(int count) {
        if (count < 0 || count > size) {
            throw new IllegalArgumentException("count must be 0 to " + size + " (the size of " + name + "), was " + count);
        }
        return new ImageDataset(name + "[:" + count + "]", rows, columns, pixels, labels, count, classNames);
    }

    /** @return the name given when it was built */
    @Override
    public String name() {
        return name;
    }

    /** @return how many samples it holds */
    @Override
    public int size() {
        return size;
    }

    /** @return image height in pixels */
    public int rows() {
        return rows;
    }

    /** @return image width in pixels */
    public int columns() {
        return columns;
    }

    /** @return pixels per image, rows × columns: the feature count of one sample */
    public int featuresPerSample() {
        return rows * columns;
    }

    /** @return how many classes labels range over */
    public int classCount() {
        return classNames.size();
    }

    /** @return the class names, indexed by label (an immutable list) */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * @param sample a sample index below {@link #size()}
     * @return its class label, 0 to {@link #classCount()} − 1
     * @throws IndexOutOfBoundsException if {@code sample} is out of range
     */
    public int label(int sample) {
        return labels[Objects.checkIndex(sample, size)] & 0xFF;
    }

    /**
     * @param sample a sample index below {@link #size()}
     * @param feature a pixel index below {@link #featuresPerSample()}, row-major
     * @return that pixel, 0 to 255
     * @throws IndexOutOfBoundsException if an index is out of range
     */
    public int pixel(int sample, int feature) {
        Objects.checkIndex(sample, size);
        Objects.checkIndex(feature, featuresPerSample());
        return pixels[sample * featuresPerSample() + feature] & 0xFF;
    }

    /** @return the images as floats {@code b / 255f}, {@code [examples.length, 1, rows, columns]} */
    @Override
    public Column inputs(int[] examples) {
        int features = featuresPerSample();
        float[] values = new float[examples.length * features];
        for (int k = 0; k < examples.length; k++) {
            int start = Objects.checkIndex(examples[k], size) * features;
            int to = k * features;
            for (int i = 0; i < features; i++) {
                values[to + i] = VALUE_OF_BYTE[pixels[start + i] & 0xFF];
            }
        }
        return Column.floats(values, examples.length, 1, rows, columns);
    }

    /** @return the class labels, {@code [examples.length]} */
    @Override
    public Column targets(int[] examples) {
        int[] values = new int[examples.length];
        for (int k = 0; k < examples.length; k++) {
            values[k] = labels[Objects.checkIndex(examples[k], size)] & 0xFF;
        }
        return Column.ints(values, examples.length);
    }

    /** @return e.g. "ImageDataset[fashion-mnist/train: 60000 × 28 × 28, 10 classes]" */
    @Override
    public String toString() {
        return "ImageDataset[" + name + ": " + size + " × " + rows + " × " + columns + ", " + classNames.size()
                + " classes]";
    }
}
