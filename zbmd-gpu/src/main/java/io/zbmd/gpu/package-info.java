/**
 * Compute backends behind one sealed interface, {@link io.zbmd.gpu.Backend}: the CPU backend
 * (Vector API element-wise kernels, the faster of native OpenBLAS and zbmd's pure-Java GEMM)
 * is always present; device backends (OpenCL, Vulkan, CUDA) join where a device is, and
 * {@link io.zbmd.gpu.Backends} discovers them. A fault-injecting wrapper tests that training
 * survives its device.
 *
 * <p>Depends on zbmd-core and SLF4J; the kernels are in {@code io.zbmd.gpu.cpu}, the memory
 * pool in {@code io.zbmd.gpu.memory}.
 */
package io.zbmd.gpu;
