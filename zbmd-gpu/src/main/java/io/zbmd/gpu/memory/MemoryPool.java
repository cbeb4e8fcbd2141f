package io.zbmd.gpu.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One device's memory for tensors (host memory for the CPU), with a fixed budget (Tiger Style: the limit is explicit, and
 * exceeding it is a clear error, not a slowdown).
 *
 * <p>Blocks come in size classes (multiples of 64 bytes up to 4 KiB, then four classes per
 * power of two, so at most 25 % is wasted) and are cached when released, because a training
 * step allocates and frees the same sizes over and over. The budget bounds everything
 * reserved, cached blocks included; when a new block would exceed it, the cache is emptied
 * first, and only then does the allocation fail with {@link DeviceOutOfMemoryException}.
 *
 * <p>{@link #bytesInUse()} goes back to zero when every buffer has been released: tests use
 * it to show that a training run leaks nothing, and {@link #leakReport()} (with allocation
 * tracking on) says where the unreleased ones came from.
 *
 * <p>Thread-safe.
 */
public final class MemoryPool implements AutoCloseable {
    private static final long SMALL_LIMIT = 4096;
    private static final int LEAK_FRAMES = 8;

    private final String name;
    private final long budgetBytes;
    private final boolean trackAllocations;
    private final BlockAllocator allocator;
    private final Map<Long, ArrayDeque<MemoryBlock>> cache = new HashMap<>();
    private final Map<DeviceBuffer, Boolean> live = new IdentityHashMap<>();
    private long reservedBytes;
    private long inUseBytes;
    private long peakInUseBytes;
    private long allocations;
    private long nextId;
    private boolean closed;

    /**
     * @param name for messages ("cpu")
     * @param budgetBytes the most it may reserve, positive
     * @param trackAllocations whether to remember where each live buffer was allocated (for
     *     {@link #leakReport()}; costs a stack trace per allocation)
     */
    public MemoryPool(String name, long budgetBytes, boolean trackAllocations) {
        this(name, budgetBytes, trackAllocations, BlockAllocator.HOST);
    }

    /**
     * @param name for messages ("opencl:0")
     * @param budgetBytes the most it may reserve, positive
     * @param trackAllocations whether to remember where each live buffer was allocated
     * @param allocator where its blocks come from: the device's memory
     */
    public MemoryPool(String name, long budgetBytes, boolean trackAllocations, BlockAllocator allocator) {
        this.allocator = Objects.requireNonNull(allocator, "allocator must not be null");
        this.name = Objects.requireNonNull(name, "name must not be null");
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("memory pool budget must be positive, got " + budgetBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
        this.trackAllocations = trackAllocations;
    }

    /** @return the pool's name */
    public String name() {
        return name;
    }

    /**
     * Allocates room for {@code floats} float32 values. The contents are not cleared.
     *
     * @param floats positive
     * @return the buffer
     * @throws DeviceOutOfMemoryException if the budget does not allow it
     */
    public DeviceBuffer allocateFloats(long floats) {
        if (floats <= 0 || floats > Long.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("cannot allocate " + floats + " floats: the count must be positive");
        }
        return allocate(floats * Float.BYTES);
    }

    /**
     * Allocates {@code bytes} bytes. The contents are not cleared.
     *
     * @param bytes positive
     * @return the buffer
     * @throws DeviceOutOfMemoryException if the budget does not allow it
     */
    public DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes: the size must be positive");
        }
        long capacity = sizeClass(bytes);
        Throwable site = trackAllocations ? new Throwable("allocated here") : null;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("memory pool '" + name + "' is closed");
            }
            MemoryBlock block = takeCached(capacity);
            if (block == null) {
                block = reserve(bytes, capacity);
            }
            inUseBytes += capacity;
            peakInUseBytes = Math.max(peakInUseBytes, inUseBytes);
            allocations++;
            DeviceBuffer buffer = new DeviceBuffer(this, block, bytes, ++nextId, site);
            live.put(buffer, Boolean.TRUE);
            return buffer;
        }
    }

    private MemoryBlock takeCached(long capacity) {
        ArrayDeque<MemoryBlock> blocks = cache.get(capacity);
        return blocks == null ? null : blocks.pollLast();
    }

    private MemoryBlock reserve(long bytes, long capacity) {
        if (reservedBytes + capacity > budgetBytes) {
            trimCache();
        }
        if (reservedBytes + capacity > budgetBytes) {
            throw new DeviceOutOfMemoryException(String.format(
                    "memory pool '%s' cannot allocate %s: %s of its %s budget are in use; release tensors (close"
                            + " their scope), use a smaller batch, or raise the budget",
                    name, human(bytes), human(inUseBytes), human(budgetBytes)), bytes, inUseBytes, budgetBytes);
        }
        MemoryBlock block = allocator.reserve(capacity);
        if (block == null) {
            trimCache();
            block = allocator.reserve(capacity);
            if (block == null) {
                throw new DeviceOutOfMemoryException("memory pool '" + name + "' cannot allocate " + human(bytes)
                        + ": its device refused it", bytes, inUseBytes, budgetBytes);
            }
        }
        reservedBytes += capacity;
        return block;
    }

    /** Called by {@link DeviceBuffer#close()}, once per buffer. */
    synchronized void release(DeviceBuffer buffer, MemoryBlock block) {
        live.remove(buffer);
        long capacity = block.bytes();
        inUseBytes -= capacity;
        if (closed) {
            allocator.free(block);
            reservedBytes -= capacity;
            return;
        }
        cache.computeIfAbsent(capacity, c -> new ArrayDeque<>()).addLast(block);
    }

    /** Frees every cached block, keeping what is in use. */
    public synchronized void trimCache() {
        for (ArrayDeque<MemoryBlock> blocks : cache.values()) {
            for (MemoryBlock block : blocks) {
                allocator.free(block);
                reservedBytes -= block.bytes();
            }
        }
        cache.clear();
    }

    /** @return bytes held by live buffers (size classes, not the sizes asked for) */
    public synchronized long bytesInUse() {
        return inUseBytes;
    }

    /** @return bytes reserved from the system: in use plus cached */
    public synchronized long bytesReserved() {
        return reservedBytes;
    }

    /** @return the most bytes ever in use at once */
    public synchronized long peakBytesInUse() {
        return peakInUseBytes;
    }

    /** @return the budget */
    public long budgetBytes() {
        return budgetBytes;
    }

    /** @return buffers allocated and not yet released */
    public synchronized int liveBuffers() {
        return live.size();
    }

    /** @return allocations since the pool was made */
    public synchronized long allocations() {
        return allocations;
    }

    /**
     * @return one line per live buffer, with where it was allocated if tracking is on
     */
    public synchronized List<String> leakReport() {
        List<String> lines = new ArrayList<>();
        for (DeviceBuffer buffer : live.keySet()) {
            StringBuilder line = new StringBuilder(buffer.toString());
            if (buffer.allocationSite != null) {
                // The pool's own frames say nothing; the next few show which operation asked, for whom.
                int shown = 0;
                for (StackTraceElement frame : buffer.allocationSite.getStackTrace()) {
                    if (shown == LEAK_FRAMES) {
                        break;
                    }
                    if (frame.getClassName().equals(MemoryPool.class.getName())) {
                        continue;
                    }
                    line.append(shown++ == 0 ? " allocated at " : " < ").append(frame);
                }
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /**
     * Frees the cache; buffers still in use are freed when they are released. Using the
     * pool afterwards fails.
     */
    @Override
    public synchronized void close() {
        closed = true;
        trimCache();
    }

    static long sizeClass(long bytes) {
        long aligned = (bytes + NativeAllocator.ALIGNMENT - 1) & -NativeAllocator.ALIGNMENT;
        if (aligned <= SMALL_LIMIT) {
            return aligned;
        }
        long step = Long.highestOneBit(aligned - 1) / 4;
        return (aligned + step - 1) / step * step;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    @Override
    public synchronized String toString() {
        return "MemoryPool[" + name + ", " + human(inUseBytes) + " in use, " + human(reservedBytes) + " reserved of "
                + human(budgetBytes) + "]";
    }
}
