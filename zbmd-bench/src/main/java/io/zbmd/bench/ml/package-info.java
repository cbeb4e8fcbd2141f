/**
 * Benchmarks of one training step of zbmd's ML stack beside PyTorch's CPU libtorch driven
 * through DJL, the peer a JVM user would pick instead. Depends on zbmd-ml, zbmd-gpu, the
 * examples' models, JMH and DJL; nothing depends on it.
 */
package io.zbmd.bench.ml;
