package io.zbmd.actor;

/** Why a message was not delivered. */
public enum DeadLetterReason {
    /** The recipient's mailbox was at capacity. */
    MAILBOX_FULL,
    /** The recipient had ended, or ended with the message still queued. */
    TERMINATED,
    /** Sent to a name that no actor holds in the {@link Registry}. */
    UNKNOWN_NAME,
    /** A reply to an {@code ask} that had already completed or timed out. */
    LATE_REPLY,
    /** The recipient crashed while handling this message. */
    CRASHED,
    /** Dropped by the system's fault injection, on purpose. */
    INJECTED_DROP,
    /** For an actor on another node that is not a member of the cluster now (left, died, unreachable). */
    UNREACHABLE,
    /**
     * For an actor on another node, a message that cannot be encoded (of a type not registered
     * with the cluster) or a frame from another node that cannot be decoded.
     */
    UNENCODABLE
}
