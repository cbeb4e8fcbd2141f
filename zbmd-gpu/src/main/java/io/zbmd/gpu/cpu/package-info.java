/**
 * The CPU backend's dense kernels: {@link io.zbmd.gpu.cpu.GemmKernel} (single-precision
 * matrix multiply on off-heap memory) and {@link io.zbmd.gpu.cpu.GemmKernels}, which builds
 * the pure-Java kernel (Vector API, or plain loops where that module is absent) or binds
 * OpenBLAS where it is installed.
 *
 * <p>Depends on the JDK and the SLF4J API; the implementations are in
 * {@code io.zbmd.gpu.cpu.internal}.
 */
package io.zbmd.gpu.cpu;
