package io.zbmd.gpu.memory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block of memory from a {@link MemoryPool}, holding float32 values (or 16-bit values, for
 * half-precision storage). Released exactly once, by {@link #close()}: the memory goes back
 * to its pool, and any later use of the buffer fails with {@link IllegalStateException}
 * instead of touching freed memory.
 *
 * <p>Reading and writing the contents is not synchronised: the code that owns a tensor owns
 * its buffer. {@link #close()} is thread-safe.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final MemoryPool pool;
    private final MemorySegment segment;
    private final long capacityBytes;
    private final long id;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Where it was allocated, when the pool tracks allocations (for leak reports). */
    final Throwable allocationSite;

    DeviceBuffer(MemoryPool pool, MemorySegment segment, long capacityBytes, long id, Throwable allocationSite) {
        this.pool = pool;
        this.segment = segment;
        this.capacityBytes = capacityBytes;
        this.id = id;
        this.allocationSite = allocationSite;
    }

    /**
     * @return the memory, sized to exactly the bytes that were asked for (accesses past the
     *     end fail instead of reading a neighbour)
     * @throws IllegalStateException if the buffer was released
     */
    public MemorySegment segment() {
        if (closed.get()) {
            throw new IllegalStateException("buffer #" + id + " of pool '" + pool.name() + "' was already released");
        }
        return segment;
    }

    /** @return the size asked for, in bytes */
    public long bytes() {
        return segment.byteSize();
    }

    /** @return the size asked for, in float32 elements */
    public long floats() {
        return segment.byteSize() / Float.BYTES;
    }

    /** @return the size of the block actually reserved (a size class) */
    long capacityBytes() {
        return capacityBytes;
    }

    /** @return whether it has been released */
    public boolean isClosed() {
        return closed.get();
    }

    /** @return the pool it came from */
    public MemoryPool pool() {
        return pool;
    }

    /** Returns the memory to the pool. A second call does nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pool.release(this, segment);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer#" + id + "[" + segment.byteSize() + " bytes, " + pool.name() + (isClosed() ? ", released" : "")
                + "]";
    }
}
