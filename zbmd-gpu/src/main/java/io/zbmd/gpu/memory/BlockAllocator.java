package io.zbmd.gpu.memory;

/**
 * Reserves and frees the blocks of one device's memory for its {@link MemoryPool}; each
 * backend provides one ({@link #HOST} for the CPU). The pool does the budgeting, size classes
 * and caching; an allocator only talks to the device.
 */
public interface BlockAllocator {
    /** Native host memory from the C library ({@code aligned_alloc}, {@code free}). */
    BlockAllocator HOST = new BlockAllocator() {
        @Override
        public MemoryBlock reserve(long bytes) {
            var segment = NativeAllocator.allocate(bytes);
            return segment == null ? null : new HostBlock(segment);
        }

        @Override
        public void free(MemoryBlock block) {
            NativeAllocator.free(((HostBlock) block).segment());
        }
    };

    /**
     * @param bytes a positive multiple of 64
     * @return a block of exactly that size, or null when the device has no more memory
     */
    MemoryBlock reserve(long bytes);

    /** @param block a block this allocator reserved, freed exactly once */
    void free(MemoryBlock block);
}
