/**
 * Compute backends behind one sealed interface: the CPU backend (Vector API, native BLAS
 * where installed) always, OpenCL, Vulkan and CUDA where a device is present; device
 * discovery, bounded off-heap and device memory pools, supervised kernel actors, device
 * health.
 *
 * <p>Depends on zbmd-core only. (Being built: see the project's open issues.)
 */
package io.zbmd.gpu;
