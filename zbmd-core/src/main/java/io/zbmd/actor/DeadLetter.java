package io.zbmd.actor;

import java.util.Objects;

/**
 * A message that was not delivered, and why. Published on {@link ActorSystem#events()} and
 * counted in {@link ActorSystem#metrics()}: the runtime never loses a message silently.
 *
 * @param recipient the intended recipient (for {@link DeadLetterReason#UNKNOWN_NAME}, the
 *     name it was sent to)
 * @param message the message
 * @param reason why it was not delivered
 * @param cause for {@link DeadLetterReason#CRASHED}, the exception its handling threw;
 *     otherwise null
 */
public record DeadLetter(String recipient, Object message, DeadLetterReason reason, Throwable cause) {
    public DeadLetter {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(reason, "reason");
    }
}
