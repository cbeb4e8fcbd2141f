/**
 * OpenCL devices, through JOCL (an optional dependency): discovery
 * ({@link io.zbmd.gpu.opencl.OpenClDevices}) and an opened device
 * ({@link io.zbmd.gpu.opencl.OpenClContext}: context, queue, programs built at run time and
 * cached, device memory for a pool). The OpenCL backend is built on these; until it implements
 * every operation and passes the conformance suite, it is not among the permitted backends.
 *
 * <p>Depends on JOCL and SLF4J.
 */
package io.zbmd.gpu.opencl;
