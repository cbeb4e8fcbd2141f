package io.zbmd.actor;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The context of a {@link ProcessActor}: everything an {@link ActorContext} offers, plus
 * blocking, selective receive as in Erlang. Messages that a selective receive skips stay
 * queued, in order, for later receives.
 *
 * <p>A receive that learns that the process must end (it was stopped, killed, or got an
 * exit signal it does not trap) throws an internal {@link Error} that unwinds the body; do
 * not catch it. Blocking calls of other kinds are interrupted in that case.
 *
 * @param <M> the process's message type
 */
public interface ProcessContext<M> extends ActorContext<M> {

    /**
     * Waits for the next message, however long it takes.
     *
     * @return the message
     */
    M receive();

    /**
     * Waits for the next message, at most {@code timeout}.
     *
     * @param timeout zero or positive; zero only looks at what is queued
     * @return the message, or empty on timeout
     */
    Optional<M> receive(Duration timeout);

    /**
     * Waits for the first message that matches, at most {@code timeout}; the others stay
     * queued.
     *
     * @param filter which message to take
     * @param timeout zero or positive
     * @return the message, or empty on timeout
     */
    Optional<M> receive(Predicate<? super M> filter, Duration timeout);

    /**
     * Like {@link #receive(Predicate, Duration)}, over messages and {@link Signal}s together
     * (a {@link Signal.Down} of a monitor, a trapped {@link Signal.Exit}).
     *
     * @param filter which message or signal to take
     * @param timeout zero or positive
     * @return the message or signal, or empty on timeout
     */
    Optional<Object> receiveAny(Predicate<Object> filter, Duration timeout);

    /**
     * Ends this process now with {@code reason}, as Erlang's {@code exit/1}: unlike an exit
     * signal to itself, it is not trapped. Never returns.
     *
     * @param reason why ({@link ExitReason#KILL} ends it {@link ExitReason#KILLED})
     * @throws IllegalStateException if called from another thread than the process's own
     */
    void exit(ExitReason reason);
}
