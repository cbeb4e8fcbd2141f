package io.zbmd.supervision;

/** A supervisor could not start because one of its children failed to start. */
public final class SupervisorStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String childId;

    /**
     * @param message names the supervisor and the child
     * @param childId the child that failed
     * @param cause why it failed
     */
    public SupervisorStartException(String message, String childId, Throwable cause) {
        super(message, cause);
        this.childId = childId;
    }

    /** @return the id of the child that failed to start */
    public String childId() {
        return childId;
    }
}
