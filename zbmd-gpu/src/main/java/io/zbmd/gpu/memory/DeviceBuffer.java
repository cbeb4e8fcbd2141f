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

    /**
     * Checks that elements {@code [offset, offset + count)} lie in this buffer.
     *
     * @param what the argument, for the message
     * @param offset the first element
     * @param count elements
     * @throws IllegalArgumentException if they do not
     */
    public void checkRange(String what, long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > floats()) {
            throw new IllegalArgumentException(what + ": elements [" + offset + ", " + (offset + count)
                    + ") do not fit in a buffer of " + floats() + " floats");
        }
    }

    /**
     * Checks a strided view: one stride per dimension, no negative dimension, and the lowest
     * and highest element it reaches in this buffer (an empty view reaches none).
     *
     * @param what the argument, for the message
     * @param shape the view's shape
     * @param offset its first element
     * @param strides one per dimension, in elements (0 broadcasts, negative runs backwards)
     * @throws IllegalArgumentException if it does not fit
     */
    public void checkView(String what, int[] shape, long offset, long[] strides) {
        if (strides.length != shape.length) {
            throw new IllegalArgumentException(what + ": " + strides.length + " strides for a shape of rank "
                    + shape.length);
        }
        long low = offset;
        long high = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) {
                throw new IllegalArgumentException(what + ": negative dimension " + shape[d]);
            }
            if (shape[d] == 0) {
                return;
            }
            long reach = (shape[d] - 1L) * strides[d];
            if (reach < 0) {
                low += reach;
            } else {
                high += reach;
            }
        }
        checkRange(what, low, high - low + 1);
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
