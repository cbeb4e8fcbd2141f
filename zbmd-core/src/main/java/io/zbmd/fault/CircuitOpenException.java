package io.zbmd.fault;

/** A call refused because its {@link CircuitBreaker} is open. */
public final class CircuitOpenException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long retryAfterNanos;

    /**
     * @param message names the breaker and how long it stays open
     * @param retryAfterNanos how long until the breaker lets a trial call through
     */
    public CircuitOpenException(String message, long retryAfterNanos) {
        super(message);
        this.retryAfterNanos = retryAfterNanos;
    }

    /** @return nanoseconds until a trial call is let through */
    public long retryAfterNanos() {
        return retryAfterNanos;
    }
}
