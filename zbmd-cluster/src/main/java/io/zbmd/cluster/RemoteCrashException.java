package io.zbmd.cluster;

/**
 * The cause of an actor's crash on another node, as it came over the wire: the exception's
 * class name and message (an exception object itself never crosses nodes).
 */
public final class RemoteCrashException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param description the remote exception's class name and message */
    public RemoteCrashException(String description) {
        super(description, null, false, false);
    }
}
