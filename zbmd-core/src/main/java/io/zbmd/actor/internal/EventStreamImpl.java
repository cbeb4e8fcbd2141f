package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.EventStream;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Subscribers in a copy-on-write list: publishing (frequent) reads it without locking,
 * subscribing (rare) copies it.
 */
final class EventStreamImpl implements EventStream {
    private static final Logger LOG = LoggerFactory.getLogger(EventStreamImpl.class);

    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();

    private record Subscription(Class<?> type, Consumer<Object> listener) {}

    @Override
    @SuppressWarnings("unchecked")
    public <E> AutoCloseable subscribe(Class<E> type, Consumer<? super E> listener) {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(listener, "listener must not be null");
        Subscription subscription = new Subscription(type, (Consumer<Object>) listener);
        subscriptions.add(subscription);
        return () -> subscriptions.remove(subscription);
    }

    /**
     * Events go to actors with {@code offer}: one that does not fit the subscriber's mailbox
     * is not delivered to it (a dead letter about a dead letter could loop), and the
     * runtime's counters stay exact either way.
     */
    @Override
    @SuppressWarnings("unchecked")
    public <E> AutoCloseable subscribe(Class<E> type, ActorRef<? super E> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber must not be null");
        ActorRef<Object> target = (ActorRef<Object>) subscriber;
        return subscribe(type, (Consumer<E>) target::offer);
    }

    @Override
    public void publish(Object event) {
        Objects.requireNonNull(event, "event must not be null");
        for (Subscription subscription : subscriptions) {
            if (subscription.type.isInstance(event)) {
                try {
                    subscription.listener.accept(event);
                } catch (RuntimeException | Error failure) {
                    LOG.warn("an event listener for {} threw; the event was still delivered to the others",
                            subscription.type.getSimpleName(), failure);
                }
            }
        }
    }

    boolean hasSubscribers() {
        return !subscriptions.isEmpty();
    }
}
