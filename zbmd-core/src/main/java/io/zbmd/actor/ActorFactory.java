package io.zbmd.actor;

/**
 * Makes an actor instance. Called once at spawn and again at every supervised restart, so
 * it must build fresh state each time.
 *
 * @param <M> the messages the actor accepts
 */
@FunctionalInterface
public interface ActorFactory<M> {

    /**
     * Creates the actor.
     *
     * @param context the new actor's context, valid for its whole life
     * @return a new actor, not null
     * @throws Exception to fail the start; the actor then ends with a crash
     */
    Actor<M> create(ActorContext<M> context) throws Exception;
}
