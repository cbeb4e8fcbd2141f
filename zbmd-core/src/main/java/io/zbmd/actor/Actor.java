package io.zbmd.actor;

/**
 * An actor: private state plus a message handler, run by the actor system's scheduler one
 * message at a time (never concurrently with itself), so its fields need no synchronisation.
 *
 * <p>Instances are made by an {@link ActorFactory}, which gets the actor's
 * {@link ActorContext}; the factory is kept so that a supervisor can make a fresh instance
 * after a crash. An exception out of any method is a crash: the actor ends with
 * {@link ExitReason#crash(Throwable)} as its exit reason, a crash report is logged, and the
 * worker thread and the system carry on.
 *
 * <pre>{@code
 * sealed interface CounterMsg {}
 * record Add(int n) implements CounterMsg {}
 * record Get(ActorRef<Integer> replyTo) implements CounterMsg {}
 *
 * final class Counter implements Actor<CounterMsg> {
 *     private int value;
 *     public void onMessage(CounterMsg msg) {
 *         switch (msg) {
 *             case Add a -> value += a.n();
 *             case Get g -> g.replyTo().tell(value);
 *         }
 *     }
 * }
 * ActorRef<CounterMsg> counter = system.spawn("counter", ctx -> new Counter());
 * }</pre>
 *
 * @param <M> the messages this actor accepts
 */
@FunctionalInterface
public interface Actor<M> {

    /**
     * Handles one message.
     *
     * @param message the message, never null
     * @throws Exception to crash the actor
     */
    void onMessage(M message) throws Exception;

    /**
     * Runs once before the first message, in the thread that spawns the actor (as OTP runs
     * {@code init} under {@code start_link}); messages sent to the actor meanwhile wait in
     * its mailbox.
     *
     * @throws Exception to crash the actor before it handles anything
     */
    default void onStart() throws Exception {}

    /**
     * Handles a {@link Signal}: a {@link Signal.Down} for a monitor this actor set, or a
     * trapped {@link Signal.Exit}. Ignores them by default.
     *
     * @param signal the signal
     * @throws Exception to crash the actor
     */
    default void onSignal(Signal signal) throws Exception {}

    /**
     * Runs once when the actor ends, whatever the reason, after its children have ended.
     * Release resources here (off-heap buffers, files). An exception here is logged and
     * otherwise ignored: the actor is already ending.
     *
     * @param reason why the actor ends
     */
    default void onStop(ExitReason reason) {}
}
