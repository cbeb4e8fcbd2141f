package io.zbmd.actor;

/**
 * Identifies one monitor set with {@link ActorContext#monitor(ActorRef)}; used to match the
 * {@link Signal.Down} it produces and to remove it with {@link ActorContext#demonitor}.
 *
 * <p>Compared by identity. Thread-safe.
 */
public final class MonitorRef {
    private final long id;
    private final ActorRef<?> target;

    /**
     * Creates a monitor reference; the runtime does this, user code has no reason to.
     *
     * @param id unique within the actor system
     * @param target the monitored actor
     */
    public MonitorRef(long id, ActorRef<?> target) {
        this.id = id;
        this.target = target;
    }

    /** @return the monitored actor */
    public ActorRef<?> target() {
        return target;
    }

    @Override
    public String toString() {
        return "Monitor#" + id + "(" + target + ")";
    }
}
