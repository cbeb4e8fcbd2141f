package io.zbmd.supervision;

/**
 * A supervisor refused a request about one of its children, for one of OTP's reasons
 * ({@code {error, not_found}}, {@code {error, running}}, ...). The futures of
 * {@link Supervisor}'s requests fail with it.
 */
public final class ChildRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why, as OTP says it. */
    public enum Refusal {
        /** No child with that id ({@code not_found}). */
        NOT_FOUND,
        /** The child is running: terminate it first ({@code running}). */
        RUNNING,
        /** The child's restart failed and is being tried again ({@code restarting}). */
        RESTARTING,
        /** A child with that id is running ({@code already_started}). */
        ALREADY_STARTED,
        /** A child with that id exists, not running ({@code already_present}). */
        ALREADY_PRESENT
    }

    private final Refusal refusal;
    private final String childId;

    /**
     * @param refusal why
     * @param childId the child's id
     * @param supervisor the supervisor's path
     */
    public ChildRequestException(Refusal refusal, String childId, String supervisor) {
        super(message(refusal, childId, supervisor));
        this.refusal = refusal;
        this.childId = childId;
    }

    private static String message(Refusal refusal, String id, String supervisor) {
        return switch (refusal) {
            case NOT_FOUND -> "no child '" + id + "' in supervisor " + supervisor;
            case RUNNING -> "child '" + id + "' of supervisor " + supervisor + " is running; terminate it first";
            case RESTARTING -> "child '" + id + "' of supervisor " + supervisor + " is restarting; terminate it first";
            case ALREADY_STARTED -> "child '" + id + "' of supervisor " + supervisor + " is already started";
            case ALREADY_PRESENT -> "a child '" + id + "' is already present in supervisor " + supervisor
                    + " (not running); delete it first, or restart it";
        };
    }

    /** @return why the request was refused */
    public Refusal refusal() {
        return refusal;
    }

    /** @return the child's id */
    public String childId() {
        return childId;
    }
}
