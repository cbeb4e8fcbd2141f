/**
 * Off-heap memory with a fixed budget: {@link io.zbmd.gpu.memory.MemoryPool} (size classes,
 * caching, exact accounting, leak reports), {@link io.zbmd.gpu.memory.DeviceBuffer}
 * (released exactly once), and {@link io.zbmd.gpu.memory.DeviceOutOfMemoryException}.
 *
 * <p>Depends on the JDK only (the FFM API, for aligned native allocation).
 */
package io.zbmd.gpu.memory;
