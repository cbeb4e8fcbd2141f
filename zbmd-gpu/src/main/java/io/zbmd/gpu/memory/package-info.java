/**
 * Device memory with a fixed budget: {@link io.zbmd.gpu.memory.MemoryPool} (size classes,
 * caching, exact accounting, leak reports) over a device's
 * {@link io.zbmd.gpu.memory.BlockAllocator} (host memory for the CPU),
 * {@link io.zbmd.gpu.memory.DeviceBuffer} (a handle on a backend's block, released exactly
 * once), and {@link io.zbmd.gpu.memory.DeviceOutOfMemoryException}.
 *
 * <p>Depends on the JDK only (the FFM API, for aligned native allocation).
 */
package io.zbmd.gpu.memory;
