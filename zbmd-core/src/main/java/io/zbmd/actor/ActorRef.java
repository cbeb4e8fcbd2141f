package io.zbmd.actor;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The address of an actor that accepts messages of type {@code M}. The only way to talk to
 * an actor: its state is never reachable from outside.
 *
 * <p>Refs are compared by identity, stay valid for the actor's whole life (supervised
 * restarts included), and may be shared freely between threads and put in messages. All
 * methods are thread-safe; only {@link #offer(Object, Duration)} blocks, and {@link #tell}
 * waits in the one case it describes.
 *
 * @param <M> the messages the actor accepts: immutable values (records, sealed protocols)
 */
public interface ActorRef<M> {

    /**
     * Sends a message. Never throws for a full mailbox or a dead actor: such a message is
     * recorded as a {@link DeadLetter} with the reason, which {@link ActorSystem#events()}
     * reports and {@link ActorSystem#metrics()} counts.
     *
     * <p>It does not wait, but for one case: sent from inside an actor to a full mailbox
     * whose actor is taking messages on another thread, it waits for room for as long as that
     * actor keeps taking them, so that a flood is slowed to the consumer's pace rather than
     * lost. A receiver that takes nothing for 20 ms ends the wait, and its messages are dead
     * letters at once until it takes one. From outside the system it never waits: use
     * {@link #offer(Object, Duration)} there.
     *
     * @param message the message, not null
     * @throws NullPointerException if message is null
     */
    void tell(M message);

    /**
     * Sends a message if the mailbox has room, and says whether it did. A refused message is
     * the caller's to keep: it is not recorded as a dead letter.
     *
     * @param message the message, not null
     * @return true if the message was queued, false if the mailbox was full or the actor had
     *     ended
     * @throws NullPointerException if message is null
     */
    boolean offer(M message);

    /**
     * Sends a message, waiting up to the timeout for room in a full mailbox: back-pressure for
     * producers outside the actor system (an ingest thread, a data loader), as a
     * {@code BlockingQueue}'s timed offer or Pekko's bounded mailbox with a push timeout. The
     * actor wakes waiting producers once it has drained half its mailbox. A refused message
     * is the caller's to keep: it is not recorded as a dead letter.
     *
     * <p>The one method of a ref that blocks, so it may not be called from inside an actor,
     * where waiting would hold a dispatcher thread that the receiver may need: actors use
     * {@link #tell} or {@link #offer(Object)}. Process actors, which own their thread, may.
     *
     * @param message the message, not null
     * @param timeout the longest wait for room; zero or negative waits not at all
     * @return true if the message was queued, false if the timeout passed first or the actor
     *     had ended
     * @throws InterruptedException if the calling thread is interrupted while waiting
     * @throws IllegalStateException if called from a dispatcher thread, that is from inside
     *     an actor
     * @throws NullPointerException if message or timeout is null
     */
    boolean offer(M message, Duration timeout) throws InterruptedException;

    /**
     * Request/reply: builds a request around a one-shot reply ref, sends it, and returns the
     * reply as a future.
     *
     * <p>The future fails with {@link AskTimeoutException} when no reply comes within the
     * timeout, and at once with {@link AskRefusedException} when the request cannot be
     * queued. A reply that arrives after the future completed becomes a dead letter with
     * reason {@link DeadLetterReason#LATE_REPLY}; nothing is kept once the future is done.
     *
     * <pre>{@code
     * CompletableFuture<Integer> value = counter.ask(Get::new, Duration.ofSeconds(1));
     * }</pre>
     *
     * @param request makes the request from the reply ref
     * @param timeout how long to wait for the reply, positive
     * @param <R> the reply type
     * @return the reply
     * @throws IllegalArgumentException if the timeout is zero or negative
     * @throws NullPointerException if an argument or the built request is null
     */
    <R> CompletableFuture<R> ask(Function<ActorRef<R>, ? extends M> request, Duration timeout);

    /**
     * The actor's path in its tree, for logs and error messages, such as
     * {@code /trainer/loader#42}.
     *
     * @return the path
     */
    String path();

    /**
     * The actor's address: its node, the node's incarnation and its number there, as a value
     * that names it wherever it is held (see {@link ActorAddress}).
     *
     * @return the address
     */
    ActorAddress address();
}
