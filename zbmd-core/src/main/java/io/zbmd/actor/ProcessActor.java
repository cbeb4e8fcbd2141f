package io.zbmd.actor;

/**
 * A process actor: the body of an actor that runs on its own virtual thread and may block
 * (I/O, a data loader, a device call) and receive selectively with a timeout, as an Erlang
 * process does. It is linked, monitored and supervised exactly like an {@link Actor}.
 *
 * <p>Returning from {@link #run} ends the actor normally; an exception ends it with a crash.
 * The body is run again from the start on a supervised restart, so keep state in local
 * variables of {@code run}.
 *
 * <pre>{@code
 * ActorRef<String> logger = system.spawnProcess("logger", ctx -> {
 *     while (true) {
 *         String line = ctx.receive();
 *         Files.writeString(path, line + "\n", APPEND);   // blocking is fine here
 *     }
 * });
 * }</pre>
 *
 * @param <M> the messages the actor accepts
 */
@FunctionalInterface
public interface ProcessActor<M> {

    /**
     * Starts an incarnation, on the actor's own thread, before {@link #run}: OTP's
     * {@code init} of a {@code proc_lib} process. A supervisor starting this actor waits for
     * it to return before it starts the next child, as OTP's waits for {@code init_ack}; an
     * exception fails the start (for a supervisor, a start that failed, not a crash), and
     * {@link IgnoreStart} declines it. Run again on every restart.
     *
     * @param context as for {@link #run}
     * @throws Exception to fail the start
     */
    default void init(ProcessContext<M> context) throws Exception {}

    /**
     * The actor's whole life after {@link #init}.
     *
     * @param context receive, spawn, link, monitor; valid only on this actor's thread
     * @throws Exception to crash the actor
     */
    void run(ProcessContext<M> context) throws Exception;

    /**
     * Runs once the body has ended, whatever the reason (its return, an exception, a stop, a
     * kill), before the actor's supervisor or monitors hear of it: release resources here. An
     * exception here is logged and otherwise ignored.
     *
     * @param reason why the body ended
     */
    default void onStop(ExitReason reason) {}
}
