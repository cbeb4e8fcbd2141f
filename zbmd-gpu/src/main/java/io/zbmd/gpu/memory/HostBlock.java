package io.zbmd.gpu.memory;

import java.lang.foreign.MemorySegment;

/**
 * A block of host memory: native, 64-byte aligned, from the C library.
 *
 * @param segment the whole block
 */
public record HostBlock(MemorySegment segment) implements MemoryBlock {
    @Override
    public long bytes() {
        return segment.byteSize();
    }
}
