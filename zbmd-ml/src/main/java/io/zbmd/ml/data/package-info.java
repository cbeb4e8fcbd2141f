/**
 * Training data: a strict reader for IDX files (raw or gzip), the Fashion-MNIST dataset, and a
 * {@link io.zbmd.ml.data.DataLoader} whose seeded, per-epoch shuffling can be resumed at any
 * {@link io.zbmd.ml.data.LoaderPosition} and replays exactly the same batches.
 *
 * <p>Depends on {@code java.base} only: batches are plain arrays, which the tensor layer turns
 * into off-heap tensors, so nothing here knows about backends, tensors or actors.
 */
package io.zbmd.ml.data;
