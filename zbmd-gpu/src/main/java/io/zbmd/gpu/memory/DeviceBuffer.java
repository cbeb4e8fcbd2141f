package io.zbmd.gpu.memory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A handle on memory from a {@link MemoryPool}, holding float32 values (or 16-bit values, for
 * half-precision storage): part of a {@link MemoryBlock} that the pool's device owns (host
 * memory for the CPU, a buffer object on a GPU). Released exactly once, by {@link #close()}:
 * the memory goes back to its pool, and any later use of the buffer fails with
 * {@link IllegalStateException} instead of touching freed memory.
 *
 * <p>Reading and writing the contents is not synchronised: the code that owns a tensor owns
 * its buffer. {@link #close()} is thread-safe.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final MemoryPool pool;
    private final MemoryBlock block;
    private final MemorySegment segment;
    private final long bytes;
    private final long id;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Where it was allocated, when the pool tracks allocations (for leak reports). */
    final Throwable allocationSite;

    DeviceBuffer(MemoryPool pool, MemoryBlock block, long bytes, long id, Throwable allocationSite) {
        this.pool = pool;
        this.block = block;
        this.segment = block instanceof HostBlock host ? host.segment().asSlice(0, bytes) : null;
        this.bytes = bytes;
        this.id = id;
        this.allocationSite = allocationSite;
    }

    /**
     * @return host memory, sized to exactly the bytes that were asked for (accesses past the
     *     end fail instead of reading a neighbour)
     * @throws IllegalStateException if the buffer was released
     * @throws IllegalArgumentException if it is device memory, which the host cannot address
     */
    public MemorySegment segment() {
        checkOpen();
        if (segment == null) {
            throw new IllegalArgumentException(this + " is memory of another device: host code cannot address it;"
                    + " copy it to the host with that device's backend (download)");
        }
        return segment;
    }

    /**
     * @return the block this buffer is the start of, for the backend that owns it
     * @throws IllegalStateException if the buffer was released
     */
    public MemoryBlock block() {
        checkOpen();
        return block;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("buffer #" + id + " of pool '" + pool.name() + "' was already released");
        }
    }

    /** @return the size asked for, in bytes */
    public long bytes() {
        return bytes;
    }

    /** @return the size asked for, in float32 elements */
    public long floats() {
        return bytes / Float.BYTES;
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
            pool.release(this, block);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer#" + id + "[" + bytes + " bytes, " + pool.name() + (isClosed() ? ", released" : "")
                + "]";
    }
}
