package io.zbmd.actor;

/**
 * Notifications the runtime delivers to an actor beside its own messages, through
 * {@link Actor#onSignal(Signal)} (or {@link ProcessContext#receiveAny} for process actors).
 *
 * <p>Signals are never refused for a full mailbox. They are delivered in order with the
 * messages already queued: a {@link Down} for an actor arrives after every message that
 * actor sent before it ended.
 */
public sealed interface Signal {

    /**
     * A monitored actor ended. Delivered exactly once per {@link MonitorRef}, also when the
     * actor was already dead when the monitor was set, and never after
     * {@link ActorContext#demonitor(MonitorRef)}.
     *
     * @param actor the actor that ended
     * @param monitor the monitor that fired
     * @param reason why it ended
     */
    record Down(ActorRef<?> actor, MonitorRef monitor, ExitReason reason) implements Signal {}

    /**
     * An exit signal received while trapping exits ({@link ActorContext#trapExits(boolean)}):
     * a linked actor ended, or someone called {@link ActorContext#exit(ActorRef, ExitReason)}.
     *
     * @param from the actor the signal came from
     * @param reason its reason
     */
    record Exit(ActorRef<?> from, ExitReason reason) implements Signal {}
}
