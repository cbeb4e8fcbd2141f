/**
 * The design book's training examples as Java programs: simple training with a supervisor
 * (its example 4), a custom training loop with asynchronous checkpoints (7), and training
 * under injected faults (8). {@code ./zbmd example simple-training}, {@code custom-loop},
 * {@code training-faults} run them on Fashion-MNIST; {@code ./zbmd example regression} trains a
 * regression of float targets with a loss of its own.
 */
package io.zbmd.examples.book;
