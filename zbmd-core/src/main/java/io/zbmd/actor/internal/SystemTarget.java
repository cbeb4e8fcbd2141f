package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;

/**
 * Where links, monitors, exit signals and stops go: an actor's {@link ActorCell} on this node,
 * or, with a cluster, the proxy of an actor on another node, which carries the system
 * message there as data about addresses ({@link io.zbmd.actor.ActorAddress}). The runtime
 * keeps links and monitors as targets, never as cells, so that they work on any ref; only
 * what is local by nature (a parent and its children, supervision, metrics) needs a cell.
 *
 * <p>Two targets are the same actor when they are equal: a cell is equal only to itself, a
 * remote proxy to a proxy of the same address. A target is also a {@link Watcher}: the DOWN
 * of an actor it monitors comes to it as a system message.
 *
 * <p>For zbmd's own modules (zbmd-cluster implements it for remote actors); not an
 * application API.
 */
public interface SystemTarget extends Watcher {

    /** @return the actor, as a ref */
    ActorRef<?> ref();

    /** @return the runtime through which this target is reached (for a cell: its own) */
    Runtime runtime();

    /**
     * Delivers a system message: handled before the actor's user messages, never refused for a
     * full mailbox; to an actor that has ended, answered as the dead actor would (a link
     * gets an exit signal back, a monitor its DOWN). Any thread; must not block.
     */
    void sendSystem(SystemMessage message);

    @Override
    default void down(MonitorRef ref, ActorRef<?> actor, ExitReason reason) {
        sendSystem(new SystemMessage.DownNotice(ref, actor, reason));
    }
}
