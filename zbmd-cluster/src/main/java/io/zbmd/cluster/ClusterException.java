package io.zbmd.cluster;

/** A node could not join its cluster, or lost the means to talk to it. */
public final class ClusterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and what to do
     * @param cause the engine's exception, if any
     */
    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
