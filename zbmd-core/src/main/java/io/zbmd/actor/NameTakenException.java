package io.zbmd.actor;

/** A {@link Registry} name is already held by a live actor. */
public final class NameTakenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** @param message names the name and its holder */
    public NameTakenException(String message) {
        super(message);
    }
}
