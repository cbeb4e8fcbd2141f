package io.zbmd.actor;

import java.util.function.Consumer;

/**
 * Runtime events (dead letters, crash reports, supervision events) for user code, metrics
 * and tests. Thread-safe.
 */
public interface EventStream {

    /**
     * Calls {@code listener} for every event of the given type, synchronously, on the thread
     * that publishes it (a worker): keep listeners fast, non-blocking and thread-safe, or
     * forward to an actor with {@link #subscribe(Class, ActorRef)}.
     *
     * @param type the event class; subclasses match too
     * @param listener the listener
     * @param <E> the event type
     * @return closes the subscription
     */
    <E> AutoCloseable subscribe(Class<E> type, Consumer<? super E> listener);

    /**
     * Sends every event of the given type to an actor, with {@link ActorRef#tell}.
     *
     * @param type the event class; subclasses match too
     * @param subscriber the actor
     * @param <E> the event type
     * @return closes the subscription
     */
    <E> AutoCloseable subscribe(Class<E> type, ActorRef<? super E> subscriber);

    /**
     * Publishes an event to the subscribers of its type.
     *
     * @param event the event, not null
     */
    void publish(Object event);
}
