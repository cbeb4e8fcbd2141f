/**
 * Compute backends behind one sealed interface, {@link io.zbmd.gpu.Backend}, each in a package
 * of its own: the CPU backend ({@code io.zbmd.gpu.cpu}: Vector API element-wise kernels, the
 * faster of native OpenBLAS and zbmd's pure-Java GEMM) is always present; device backends join
 * where a device is, and {@link io.zbmd.gpu.Backends} discovers them.
 * {@link io.zbmd.gpu.DeviceFaults}, a hook every backend honours, tests that training survives
 * its device.
 *
 * <p>Depends on SLF4J; the memory pools are in {@code io.zbmd.gpu.memory}.
 */
package io.zbmd.gpu;
