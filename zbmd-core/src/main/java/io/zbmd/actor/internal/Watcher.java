package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;

/** Whoever is told when a monitored actor ends: an actor (a {@link SystemTarget}), or a future. */
public interface Watcher {

    /**
     * The monitored actor ended. Called exactly once per monitor, on the ending actor's
     * thread (or the monitoring thread if it had already ended): must not block.
     */
    void down(MonitorRef ref, ActorRef<?> actor, ExitReason reason);
}
