package io.zbmd.gpu.memory;

/**
 * A {@link MemoryPool} could not allocate within its budget. It is an ordinary exception
 * that a supervisor can act on (for example by halving the micro-batch and retrying), not an
 * {@link OutOfMemoryError}: the JVM and the rest of the process are fine.
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long requestedBytes;
    private final long inUseBytes;
    private final long budgetBytes;

    /**
     * @param message says which pool, how much was asked, how much is in use, what to do
     * @param requestedBytes the allocation that failed
     * @param inUseBytes bytes in use when it failed
     * @param budgetBytes the pool's budget
     */
    public DeviceOutOfMemoryException(String message, long requestedBytes, long inUseBytes, long budgetBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.inUseBytes = inUseBytes;
        this.budgetBytes = budgetBytes;
    }

    /** @return the size of the allocation that failed */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** @return bytes in use when it failed */
    public long inUseBytes() {
        return inUseBytes;
    }

    /** @return the pool's budget */
    public long budgetBytes() {
        return budgetBytes;
    }
}
