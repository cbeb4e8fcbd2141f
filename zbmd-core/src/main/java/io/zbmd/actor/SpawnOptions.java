package io.zbmd.actor;

import java.util.Objects;

/**
 * How to spawn an actor: its name, its mailbox capacity, whether to link it to the spawning
 * actor atomically (OTP's {@code spawn_link}), and whether it runs on a thread of its own.
 * Immutable; build it fluently:
 *
 * <pre>{@code
 * ctx.spawn(SpawnOptions.named("loader").withMailboxCapacity(64).linked(), Loader::new);
 * }</pre>
 *
 * @param name the actor's name in its path; informational, need not be unique (use the
 *     {@link Registry} for unique names)
 * @param mailboxCapacity the bound on queued messages, or 0 for the system's default
 * @param link whether to link the new actor to the spawning one before it runs
 * @param pinned whether every turn of the actor, its start included, runs on a platform
 *     thread of its own (Pekko's pinned dispatcher): for an actor that owns something bound
 *     to a thread, such as a device context and its queue. The thread ends with the actor.
 *     Under the deterministic dispatcher a pinned actor runs on it like any other, so that
 *     simulations stay deterministic
 */
public record SpawnOptions(String name, int mailboxCapacity, boolean link, boolean pinned) {

    /** No name, the default capacity, not linked, on the system's shared threads. */
    public static final SpawnOptions DEFAULT = new SpawnOptions("", 0, false);

    /**
     * @throws IllegalArgumentException if the capacity is invalid; see
     *     {@link ActorSystemConfig#mailboxCapacity()}
     */
    public SpawnOptions {
        Objects.requireNonNull(name, "name");
        if (mailboxCapacity != 0) {
            ActorSystemConfig.checkMailboxCapacity("SpawnOptions.mailboxCapacity", mailboxCapacity);
        }
    }

    /**
     * Options on the system's shared threads.
     *
     * @param name the actor's name
     * @param mailboxCapacity the bound on queued messages, or 0 for the system's default
     * @param link whether to link the new actor to the spawning one before it runs
     */
    public SpawnOptions(String name, int mailboxCapacity, boolean link) {
        this(name, mailboxCapacity, link, false);
    }

    /**
     * @param name the actor's name
     * @return options with this name
     */
    public static SpawnOptions named(String name) {
        return new SpawnOptions(name, 0, false);
    }

    /**
     * @param capacity from 1 to 2^30 messages
     * @return these options with that mailbox capacity
     */
    public SpawnOptions withMailboxCapacity(int capacity) {
        return new SpawnOptions(name, capacity, link, pinned);
    }

    /** @return these options, linked to the spawning actor */
    public SpawnOptions linked() {
        return new SpawnOptions(name, mailboxCapacity, true, pinned);
    }

    /** @return these options, on a platform thread of the actor's own */
    public SpawnOptions pinnedToThread() {
        return new SpawnOptions(name, mailboxCapacity, link, true);
    }
}
