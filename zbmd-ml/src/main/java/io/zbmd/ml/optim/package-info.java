/**
 * Optimizers (SGD with momentum and Nesterov, Adam, AdamW), learning-rate schedules (step,
 * cosine, linear warm-up) and gradient clipping by norm, matching PyTorch's formulas.
 *
 * <p>Depends on {@code io.zbmd.ml.tensor}.
 */
package io.zbmd.ml.optim;
