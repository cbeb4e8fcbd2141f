/**
 * Crash-safe checkpoints: {@link io.zbmd.ml.checkpoint.Checkpoint} (model and optimizer tensors,
 * step, config, RNG state, data position) as one checksummed safetensors file that PyTorch and
 * Hugging Face load ({@link io.zbmd.ml.checkpoint.CheckpointFile}, over a strict
 * {@link io.zbmd.ml.checkpoint.SafetensorsReader} and a byte-exact
 * {@link io.zbmd.ml.checkpoint.SafetensorsWriter}), and a directory of them that writes
 * atomically and falls back past damaged files ({@link io.zbmd.ml.checkpoint.CheckpointStore}).
 *
 * <p>Synchronous and actor-free: a checkpoint actor calls it. Depends on {@code java.base},
 * Jackson's streaming JSON (jackson-core), SLF4J, and, for specs of live tensors, the tensor
 * package.
 */
package io.zbmd.ml.checkpoint;
