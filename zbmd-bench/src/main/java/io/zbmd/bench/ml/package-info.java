/**
 * Benchmarks of one training step of the examples' MLP and CNN on zbmd's ML stack beside
 * PyTorch: in Python, as its users run it (a process of its own driven over a pipe), and for
 * the MLP also CPU libtorch driven through DJL, the peer a JVM user would pick instead; and
 * the supervised trainer's overhead. Depends on zbmd-ml, zbmd-gpu, the examples' models, JMH
 * and DJL; nothing depends on it.
 */
package io.zbmd.bench.ml;
