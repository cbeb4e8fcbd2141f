package io.zbmd.supervision;

/** When a supervisor restarts a child, as in OTP. */
public enum RestartType {
    /** Always restarted, whatever the exit reason (the default). */
    PERMANENT,
    /** Restarted only after an abnormal exit (not normal, not shutdown). */
    TRANSIENT,
    /** Never restarted; removed from the supervisor when it ends. */
    TEMPORARY;

    /**
     * @param reason why the child ended
     * @return whether a child of this type is restarted after that
     */
    public boolean restartsAfter(io.zbmd.actor.ExitReason reason) {
        return switch (this) {
            case PERMANENT -> true;
            case TRANSIENT -> reason.isFailure();
            case TEMPORARY -> false;
        };
    }
}
