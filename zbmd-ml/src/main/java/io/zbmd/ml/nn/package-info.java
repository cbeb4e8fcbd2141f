/**
 * Layers and models, as PyTorch's {@code torch.nn}: {@link io.zbmd.ml.nn.Module} (parameters,
 * buffers, children, PyTorch-compatible names), {@link io.zbmd.ml.nn.Layers},
 * {@link io.zbmd.ml.nn.Sequential}, {@link io.zbmd.ml.nn.Attention}, seeded
 * {@link io.zbmd.ml.nn.Init}ialisation.
 *
 * <p>Depends on {@code io.zbmd.ml.tensor}.
 */
package io.zbmd.ml.nn;
