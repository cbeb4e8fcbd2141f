package io.zbmd.actor;

/** An {@link ActorRef#ask} whose request could not even be queued. */
public final class AskRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final DeadLetterReason reason;

    /**
     * @param message says which actor and why
     * @param reason why the request was refused
     */
    public AskRefusedException(String message, DeadLetterReason reason) {
        super(message);
        this.reason = reason;
    }

    /** @return why the request was refused */
    public DeadLetterReason reason() {
        return reason;
    }
}
