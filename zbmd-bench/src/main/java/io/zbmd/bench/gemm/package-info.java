/**
 * SGEMM benchmarks: zbmd's CPU kernels (its default choice and its pure-Java kernel) beside
 * native OpenBLAS called through netlib's JNI binding, in the same run. Depends on zbmd-gpu,
 * JMH and dev.ludovic.netlib; nothing depends on it.
 */
package io.zbmd.bench.gemm;
