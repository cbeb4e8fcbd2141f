package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;

/**
 * Control messages to actors: they bypass the mailbox bound and are handled before user
 * messages at the start of every turn. Each instance is sent once: {@link #next} links it
 * into the recipient's lock-free stack (see {@link ActorCell#sendSystem}).
 *
 * <p>Those that may cross nodes (stop, exit signals, links, monitors and their DOWN) name
 * the other actor as a {@link SystemTarget} or a ref, never as a cell: they are data about
 * addresses. Those of a parent and its children (termination, supervision, control) stay
 * between cells, which are on one node by nature.
 */
public abstract sealed class SystemMessage {
    /** Next older message in the recipient's stack; written before the publishing CAS. */
    SystemMessage next;

    /** Stop with a reason (parent, supervisor, system close, {@code stop}). */
    public static final class Stop extends SystemMessage {
        final ExitReason reason;

        /** Creates the message; see the class comment. */
        public Stop(ExitReason reason) {
            this.reason = reason;
        }

        /** @return the reason */
        public ExitReason reason() {
            return reason;
        }
    }

    /** An exit signal: from a link when {@code viaLink}, else an explicit {@code exit/2}. */
    public static final class ExitSignal extends SystemMessage {
        final SystemTarget from;
        final ExitReason reason;
        final boolean viaLink;

        /** Creates the message; see the class comment. */
        public ExitSignal(SystemTarget from, ExitReason reason, boolean viaLink) {
            this.from = from;
            this.reason = reason;
            this.viaLink = viaLink;
        }

        /** @return the actor it comes from */
        public SystemTarget from() {
            return from;
        }

        /** @return the reason */
        public ExitReason reason() {
            return reason;
        }

        /** @return whether it comes through a link */
        public boolean viaLink() {
            return viaLink;
        }
    }

    /** Asks the recipient to add {@code from} to its links. */
    public static final class Link extends SystemMessage {
        final SystemTarget from;

        /** Creates the message; see the class comment. */
        public Link(SystemTarget from) {
            this.from = from;
        }

        /** @return the actor it comes from */
        public SystemTarget from() {
            return from;
        }
    }

    /** Asks the recipient to drop {@code from} from its links. */
    public static final class Unlink extends SystemMessage {
        final SystemTarget from;

        /** Creates the message; see the class comment. */
        public Unlink(SystemTarget from) {
            this.from = from;
        }

        /** @return the actor it comes from */
        public SystemTarget from() {
            return from;
        }
    }

    /**
     * Asks the recipient to tell {@code watcher} when it ends: an actor (a {@link SystemTarget}),
     * or a future's callback on the monitoring node (which a remote actor's proxy keeps there).
     */
    public static final class Monitor extends SystemMessage {
        final Watcher watcher;
        final MonitorRef ref;

        /** Creates the message; see the class comment. */
        public Monitor(Watcher watcher, MonitorRef ref) {
            this.watcher = watcher;
            this.ref = ref;
        }

        /** @return the watcher */
        public Watcher watcher() {
            return watcher;
        }

        /** @return the monitor */
        public MonitorRef ref() {
            return ref;
        }
    }

    /** Asks the recipient to forget a monitor. */
    public static final class Demonitor extends SystemMessage {
        final MonitorRef ref;

        /** Creates the message; see the class comment. */
        public Demonitor(MonitorRef ref) {
            this.ref = ref;
        }

        /** @return the monitor */
        public MonitorRef ref() {
            return ref;
        }
    }

    /** A monitored actor ended: turned into a {@code Signal.Down} in order with messages. */
    public static final class DownNotice extends SystemMessage {
        final MonitorRef ref;
        final ActorRef<?> actor;
        final ExitReason reason;

        /** Creates the message; see the class comment. */
        public DownNotice(MonitorRef ref, ActorRef<?> actor, ExitReason reason) {
            this.ref = ref;
            this.actor = actor;
            this.reason = reason;
        }

        /** @return the monitor */
        public MonitorRef ref() {
            return ref;
        }

        /** @return the actor that ended */
        public ActorRef<?> actor() {
            return actor;
        }

        /** @return the reason */
        public ExitReason reason() {
            return reason;
        }
    }

    /** A child has ended: its parent takes it off its list of children. */
    static final class ChildTerminated extends SystemMessage {
        final ActorCell<?> child;

        ChildTerminated(ActorCell<?> child) {
            this.child = child;
        }
    }

    /** To a supervisor: a child crashed; its incarnation has stopped and it waits for a decision. */
    static final class ChildFailed extends SystemMessage {
        final ActorCell<?> child;
        final ExitReason reason;
        final int incarnation;

        ChildFailed(ActorCell<?> child, ExitReason reason, int incarnation) {
            this.child = child;
            this.reason = reason;
            this.incarnation = incarnation;
        }
    }

    /** To a supervisor: a child restarted in place has run its new incarnation's start. */
    static final class IncarnationStarted extends SystemMessage {
        final ActorCell<?> child;
        final int incarnation;

        IncarnationStarted(ActorCell<?> child, int incarnation) {
            this.child = child;
            this.incarnation = incarnation;
        }
    }

    /** To a supervisor: a child restarted in place declined to start ({@code IgnoreStart}); it waits, suspended. */
    static final class StartIgnored extends SystemMessage {
        final ActorCell<?> child;
        final int incarnation;

        StartIgnored(ActorCell<?> child, int incarnation) {
            this.child = child;
            this.incarnation = incarnation;
        }
    }

    /** To a supervisor that asked for it: a restarted child has handled a message to the end. */
    static final class ChildProgressed extends SystemMessage {
        final ActorCell<?> child;
        final int incarnation;

        ChildProgressed(ActorCell<?> child, int incarnation) {
            this.child = child;
            this.incarnation = incarnation;
        }
    }

    /** To a supervisor: a child's incarnation stopped as it asked; the child waits for a restart. */
    static final class IncarnationStopped extends SystemMessage {
        final ActorCell<?> child;
        final int incarnation;

        IncarnationStopped(ActorCell<?> child, int incarnation) {
            this.child = child;
            this.incarnation = incarnation;
        }
    }

    /** Runs an action on the recipient's turn (supervision uses it to suspend and restart). */
    static final class Control extends SystemMessage {
        final java.util.function.Consumer<ActorCell<?>> action;

        Control(java.util.function.Consumer<ActorCell<?>> action) {
            this.action = action;
        }
    }

    /** Placed in a terminated cell's stack: nothing more gets in. */
    static final class Closed extends SystemMessage {}
}
