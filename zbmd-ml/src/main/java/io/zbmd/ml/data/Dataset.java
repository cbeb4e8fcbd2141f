package io.zbmd.ml.data;

/**
 * Examples with targets, for a {@link DataLoader} to cut into {@link Batch}es: features of any
 * shape (floats, or ints such as token ids) and targets (class indices, float regression
 * values, one-hot rows, token sequences). {@link ArrayDataset} holds arrays in memory;
 * {@link ImageDataset} holds byte images such as Fashion-MNIST's; implement this interface
 * for anything else (a memory-mapped file, a token stream).
 *
 * <p>A dataset must be immutable: the same indices give the same values, always. A training
 * run's checkpoint records only the loader's position, and a resumed run reads the batches
 * again from the dataset; a dataset whose contents change breaks bit-exact resumption.
 * Thread-safe when immutable: several loaders may read one.
 */
public interface Dataset {

    /** @return what to call it in messages and in a run's identity, e.g. "fashion-mnist/train" */
    String name();

    /** @return how many examples it holds */
    int size();

    /**
     * @param examples indices below {@link #size()}
     * @return those examples' inputs, a new column of {@code examples.length} rows in that order
     */
    Column inputs(int[] examples);

    /**
     * @param examples indices below {@link #size()}
     * @return those examples' targets, a new column of {@code examples.length} rows in that order
     */
    Column targets(int[] examples);
}
