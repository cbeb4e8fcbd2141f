package io.zbmd.actor;

import java.util.Optional;
import java.util.Set;

/**
 * Unique names for actors, as OTP's {@code register/2}: a name maps to one live actor at a
 * time, and is released automatically when that actor ends. Thread-safe.
 */
public interface Registry {

    /**
     * Gives an actor a name.
     *
     * @param name not blank
     * @param actor a live actor
     * @throws NameTakenException if another live actor holds the name
     * @throws IllegalArgumentException if the name is blank or the actor has ended
     */
    void register(String name, ActorRef<?> actor);

    /**
     * Frees a name.
     *
     * @param name a name
     * @return true if it was registered
     */
    boolean unregister(String name);

    /**
     * Looks a name up. The type parameter is the caller's promise about the actor's
     * messages: it is not (and cannot be) checked at run time.
     *
     * @param name a name
     * @param <M> the message type the caller expects the actor to accept
     * @return the actor, or empty if no live actor has the name
     */
    <M> Optional<ActorRef<M>> whereis(String name);

    /**
     * Sends to a named actor; a message to a name nobody holds becomes a dead letter with
     * reason {@link DeadLetterReason#UNKNOWN_NAME}.
     *
     * @param name a name
     * @param message the message, not null
     */
    void tell(String name, Object message);

    /** @return the names registered now */
    Set<String> names();
}
