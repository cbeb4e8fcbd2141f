/**
 * The OpenCL backend, through JOCL (an optional dependency): discovery
 * ({@link io.zbmd.gpu.opencl.OpenClDevices}), an opened device
 * ({@link io.zbmd.gpu.opencl.OpenClContext}: context, queue, programs built at run time and
 * cached, device memory for a pool), and {@link io.zbmd.gpu.opencl.OpenClBackend}, every
 * operation of the backend interface as an OpenCL C kernel ({@code kernels.cl}).
 *
 * <p>Depends on JOCL and SLF4J.
 */
package io.zbmd.gpu.opencl;
