/**
 * Tensors and automatic differentiation: {@link io.zbmd.ml.tensor.Tensor} (views,
 * broadcasting, arithmetic, reductions, matrix products), {@link io.zbmd.ml.tensor.F}
 * (losses, convolution, pooling, dropout, normalisation, embedding, attention),
 * {@link io.zbmd.ml.tensor.Autograd} (reverse mode, no-grad blocks),
 * {@link io.zbmd.ml.tensor.TensorScope} (who owns tensor memory).
 *
 * <p>Depends on zbmd-gpu's {@code Backend} for memory and kernels.
 */
package io.zbmd.ml.tensor;
