package io.zbmd.gpu.memory;

/**
 * A block of memory a {@link MemoryPool} reserved from its device, in a backend's own terms:
 * a host segment ({@link HostBlock}), an OpenCL buffer object, a Vulkan buffer and its memory,
 * a CUDA device pointer. A {@link DeviceBuffer} is a handle on part of one.
 */
public interface MemoryBlock {
    /** @return the block's size in bytes */
    long bytes();
}
