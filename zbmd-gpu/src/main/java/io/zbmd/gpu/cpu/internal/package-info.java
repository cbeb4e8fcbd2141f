/**
 * Implementations of {@link io.zbmd.gpu.cpu.GemmKernel}: the blocked, packed Java SGEMM
 * after Goto and van de Geijn (its Vector API and scalar micro-kernels, packing, the worker
 * threads) and the OpenBLAS binding through the FFM API. Not an API: build kernels with
 * {@link io.zbmd.gpu.cpu.GemmKernels}.
 *
 * <p>Depends on the JDK and the SLF4J API; only {@code VectorMicroKernel} touches
 * {@code jdk.incubator.vector}, and it is loaded only when that module is present.
 */
package io.zbmd.gpu.cpu.internal;
