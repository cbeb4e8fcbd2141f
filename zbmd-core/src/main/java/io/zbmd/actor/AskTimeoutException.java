package io.zbmd.actor;

import java.util.concurrent.TimeoutException;

/** An {@link ActorRef#ask} got no reply in time. */
public final class AskTimeoutException extends TimeoutException {
    private static final long serialVersionUID = 1L;

    /** @param message says which actor, which request and how long */
    public AskTimeoutException(String message) {
        super(message);
    }
}
