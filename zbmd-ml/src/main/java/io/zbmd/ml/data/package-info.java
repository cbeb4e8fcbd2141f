/**
 * Training data: {@link io.zbmd.ml.data.Dataset}s of examples and targets gathered into
 * {@link io.zbmd.ml.data.Column}s (in-memory {@link io.zbmd.ml.data.ArrayDataset}s, byte
 * {@link io.zbmd.ml.data.ImageDataset}s such as Fashion-MNIST from a strict reader of IDX files),
 * {@link io.zbmd.ml.data.Transform}s, and a {@link io.zbmd.ml.data.DataLoader} whose seeded,
 * per-epoch shuffling can be resumed at any {@link io.zbmd.ml.data.LoaderPosition} and replays
 * exactly the same batches.
 *
 * <p>Depends on {@code java.base} only: batches are plain arrays, which the tensor layer turns
 * into off-heap tensors, so nothing here knows about backends, tensors or actors.
 */
package io.zbmd.ml.data;
