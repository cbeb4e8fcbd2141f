package io.zbmd.actor;

import java.time.Duration;

/**
 * What an actor can do besides handling messages: spawn children, link and monitor, set
 * timers, stop. Given to the {@link ActorFactory}; valid for the actor's whole life.
 *
 * <p>Not thread-safe: use it only from the actor's own handlers (or, for a process actor,
 * its own thread). To let other threads talk to the actor, hand out {@link #self()}.
 *
 * @param <M> the actor's message type
 */
public interface ActorContext<M> {

    /** @return this actor's ref */
    ActorRef<M> self();

    /** @return the actor system this actor runs in */
    ActorSystem system();

    /**
     * Spawns a child actor. The child never outlives this actor: it is stopped (and waited
     * for) before this actor's {@link Actor#onStop}.
     *
     * @param name the child's name in its path (informational)
     * @param factory makes the child's instances
     * @param <C> the child's message type
     * @return the child's ref
     * @throws IllegalStateException if this actor is ending
     * @throws NullPointerException if an argument is null
     */
    <C> ActorRef<C> spawn(String name, ActorFactory<C> factory);

    /**
     * Spawns a child actor with options (mailbox capacity, atomic link).
     *
     * @param options name, capacity, link
     * @param factory makes the child's instances
     * @param <C> the child's message type
     * @return the child's ref
     * @throws IllegalStateException if this actor is ending
     */
    <C> ActorRef<C> spawn(SpawnOptions options, ActorFactory<C> factory);

    /**
     * Spawns a child {@link ProcessActor} on its own virtual thread.
     *
     * @param options name, capacity, link
     * @param body the process body
     * @param <C> the child's message type
     * @return the child's ref
     * @throws IllegalStateException if this actor is ending
     */
    <C> ActorRef<C> spawnProcess(SpawnOptions options, ProcessActor<C> body);

    /**
     * Stops a child with reason {@link ExitReason#SHUTDOWN}, asynchronously; monitor it to
     * learn when it has ended.
     *
     * @param child a child of this actor
     * @throws IllegalArgumentException if it is not a child of this actor
     */
    void stop(ActorRef<?> child);

    /**
     * Ends this actor with reason {@link ExitReason#NORMAL} once the current message has been
     * handled; the messages still queued become dead letters.
     */
    void stopSelf();

    /**
     * Links this actor with another, both ways: when either ends abnormally, the other ends
     * with the same reason unless it traps exits. Linking to an actor that has already ended
     * delivers its exit at once. Linking twice is the same as once.
     *
     * @param other the actor to link with
     */
    void link(ActorRef<?> other);

    /**
     * Removes a link. Once this returns, the other actor's exit has no effect on this one.
     *
     * @param other a linked actor; unlinking an actor that is not linked does nothing
     */
    void unlink(ActorRef<?> other);

    /**
     * Monitors another actor: when it ends, this actor receives one {@link Signal.Down}, even
     * if it had already ended.
     *
     * @param other the actor to watch
     * @return the monitor, to match the signal and to remove it
     */
    MonitorRef monitor(ActorRef<?> other);

    /**
     * Removes a monitor: no {@link Signal.Down} for it arrives after this call.
     *
     * @param monitor a monitor this actor set
     * @return true if it was active
     */
    boolean demonitor(MonitorRef monitor);

    /**
     * Whether exit signals from links arrive as {@link Signal.Exit} instead of ending this
     * actor ({@link ExitReason#KILL} is never trapped). Off by default.
     *
     * @param trap true to trap exits
     */
    void trapExits(boolean trap);

    /**
     * Sends an exit signal to any actor, as OTP's {@code exit/2}: with {@link ExitReason#KILL}
     * it ends the target unconditionally; with {@link ExitReason#NORMAL} it is ignored unless
     * the target traps exits; with any other reason the target ends with that reason unless
     * it traps exits.
     *
     * @param target the actor to signal
     * @param reason the reason
     */
    void exit(ActorRef<?> target, ExitReason reason);

    /** @return this actor's timers */
    Timers<M> timers();

    /**
     * Sends a message to any actor after a delay. Cancelled automatically if this actor ends
     * first.
     *
     * @param target the recipient
     * @param message the message
     * @param delay zero or positive
     * @param <T> the recipient's message type
     * @return a handle to cancel it
     */
    <T> Cancellable sendAfter(ActorRef<T> target, T message, Duration delay);

    /**
     * The actor system's clock, for measuring time inside an actor: {@link System#nanoTime()}
     * on the real dispatchers, the virtual clock under the deterministic one (which moves only
     * when the test moves it, or when nothing is runnable and a timer is due). Actors that take
     * time from here, rather than from {@code System.nanoTime()}, replay exactly under the
     * deterministic dispatcher; timers use the same clock.
     *
     * @return nanoseconds from an arbitrary origin, as {@link System#nanoTime()}: only
     *     differences mean anything
     */
    long nanoTime();

    /**
     * Charges extra reductions (cost units) for the work of the current message, so that an
     * expensive actor gives up its worker sooner. Each message costs one unit by itself; a
     * turn ends when the system's {@link ActorSystemConfig#reductionsPerTurn()} are used up.
     *
     * @param reductions the extra cost, zero or positive
     */
    void charge(int reductions);
}
