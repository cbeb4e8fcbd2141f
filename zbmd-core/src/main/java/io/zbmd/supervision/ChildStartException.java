package io.zbmd.supervision;

/**
 * A child asked for ({@link Supervisor#startChild}, {@link Supervisor#restartChild}) failed to
 * start: OTP's {@code {error, Reason}}. The cause is its factory's or {@code onStart}'s
 * exception, or a child supervisor's {@link SupervisorStartException}.
 */
public final class ChildStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String childId;

    /**
     * @param childId the child's id
     * @param supervisor the supervisor's path
     * @param cause why it failed
     */
    public ChildStartException(String childId, String supervisor, Throwable cause) {
        super("child '" + childId + "' of supervisor " + supervisor + " failed to start: " + cause, cause);
        this.childId = childId;
    }

    /** @return the child's id */
    public String childId() {
        return childId;
    }
}
