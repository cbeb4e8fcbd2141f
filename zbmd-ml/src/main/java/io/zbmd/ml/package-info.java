/**
 * Machine learning on a backend: tensors and autograd, layers, losses, optimizers,
 * datasets and loaders, and the supervised training runtime (TrainingSupervisor,
 * crash-safe checkpoints, bit-exact resume).
 *
 * <p>Depends on zbmd-gpu and zbmd-core. (Being built: see the project's open issues.)
 */
package io.zbmd.ml;
