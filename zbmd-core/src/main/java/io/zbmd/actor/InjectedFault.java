package io.zbmd.actor;

/**
 * The cause of a crash injected by {@link FaultInjection}, so that tests and logs can tell
 * injected failures from real ones.
 */
public final class InjectedFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what was injected, and where */
    public InjectedFault(String message) {
        super(message, null, false, false);
    }
}
