package io.zbmd.actor;

/**
 * An actor whose state survives a supervised restart: after it handles a message (every
 * {@code snapshotEvery} messages, see {@code ChildSpec}) the runtime takes a snapshot, and a
 * restarted incarnation is given the last one before its {@link Actor#onStart()}, so it
 * resumes where the crashed one left off instead of from scratch (the design book's
 * checkpoint-and-recover for actors). With {@code ChildSpec.withRetries}, the message whose
 * handling crashed is then handled again: nothing is lost.
 *
 * <p>A snapshot must be a value the actor will not change afterwards: an immutable record,
 * or a copy of mutable state. Only supervised actors are snapshotted.
 *
 * @param <S> the snapshot's type
 */
public interface Snapshotting<S> {

    /** @return the state now, as an immutable value */
    S snapshot();

    /**
     * Takes up a snapshot in a fresh incarnation, before {@code onStart}.
     *
     * @param snapshot the last snapshot of the crashed incarnation
     * @throws Exception to fail the restart (the supervisor counts it as another crash)
     */
    void restore(S snapshot) throws Exception;
}
