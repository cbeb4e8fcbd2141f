/**
 * The training runtime: capturing and restoring the whole state of a training run
 * ({@link io.zbmd.ml.train.TrainingState}), for checkpoints and for retrying a step after a
 * crash. The supervised trainer and its actors are being built on it.
 */
package io.zbmd.ml.train;
