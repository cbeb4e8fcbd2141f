package io.zbmd.actor;

import java.util.Objects;

/**
 * Why an actor ended, with Erlang/OTP's meaning.
 *
 * <ul>
 *   <li>{@link #NORMAL}: the actor finished its work. A normal exit does not kill linked
 *       actors; a trapping actor still receives it as an {@link Signal.Exit}.
 *   <li>{@link #SHUTDOWN}: the actor was asked to stop (by its parent, a supervisor or the
 *       system closing). Linked actors that do not trap exits stop with it.
 *       {@link #shutdown(String)} is OTP's {@code {shutdown, Term}}: a shutdown with a
 *       detail, which a supervisor also does not take for a failure.
 *   <li>{@link #KILL}: only as the reason of an exit signal sent with
 *       {@link ActorContext#exit(ActorRef, ExitReason)}; it cannot be trapped, and the victim
 *       ends with {@link #KILLED}.
 *   <li>{@link #KILLED}: the actor was killed. Propagates to links like any abnormal reason.
 *   <li>{@link Crash}: an exception escaped a handler; the cause is kept.
 *   <li>{@link Custom}: a reason chosen by user code, abnormal.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public sealed interface ExitReason {

    /** The actor finished normally. */
    ExitReason NORMAL = new Normal();
    /** The actor was told to stop. */
    ExitReason SHUTDOWN = new Shutdown(null);
    /** Untrappable kill, only as the reason of an exit signal. */
    ExitReason KILL = new Kill();
    /** The actor was killed by an exit signal with reason {@link #KILL}. */
    ExitReason KILLED = new Killed();

    /**
     * An exit caused by an exception out of a handler.
     *
     * @param cause the exception, never null
     * @return the reason
     * @throws NullPointerException if cause is null
     */
    static ExitReason crash(Throwable cause) {
        return new Crash(cause);
    }

    /**
     * OTP's {@code {shutdown, Term}}: the actor stops as asked, saying why; not a failure (a
     * transient child is not restarted after it), but, like any reason other than normal, it
     * ends linked actors that do not trap exits.
     *
     * @param detail why, not blank
     * @return the reason
     * @throws IllegalArgumentException if the detail is blank
     */
    static ExitReason shutdown(String detail) {
        Objects.requireNonNull(detail, "detail must not be null (ExitReason.SHUTDOWN has none)");
        return new Shutdown(detail);
    }

    /**
     * An abnormal exit with a description of user code's choosing.
     *
     * @param description what happened, not blank
     * @return the reason
     * @throws IllegalArgumentException if the description is blank
     */
    static ExitReason custom(String description) {
        return new Custom(description);
    }

    /** @return true only for {@link #NORMAL} */
    default boolean isNormal() {
        return this instanceof Normal;
    }

    /**
     * Whether a supervisor should treat this exit as a failure (OTP: anything but normal and
     * shutdown).
     *
     * @return false for {@link #NORMAL} and shutdowns, true otherwise
     */
    default boolean isFailure() {
        return !(this instanceof Normal) && !(this instanceof Shutdown);
    }

    /** Normal completion. */
    record Normal() implements ExitReason {
        @Override
        public String toString() {
            return "normal";
        }
    }

    /**
     * Asked to stop.
     *
     * @param detail OTP's {@code Term} in {@code {shutdown, Term}}, or null for plain shutdown
     */
    record Shutdown(String detail) implements ExitReason {
        public Shutdown {
            if (detail != null && detail.isBlank()) {
                throw new IllegalArgumentException("a shutdown's detail must not be blank (use ExitReason.SHUTDOWN)");
            }
        }

        @Override
        public String toString() {
            return detail == null ? "shutdown" : "shutdown(" + detail + ")";
        }
    }

    /** Untrappable kill request. */
    record Kill() implements ExitReason {
        @Override
        public String toString() {
            return "kill";
        }
    }

    /** Killed. */
    record Killed() implements ExitReason {
        @Override
        public String toString() {
            return "killed";
        }
    }

    /**
     * A handler threw.
     *
     * @param cause the exception
     */
    record Crash(Throwable cause) implements ExitReason {
        public Crash {
            Objects.requireNonNull(cause, "cause");
        }

        @Override
        public String toString() {
            return "crash(" + cause + ")";
        }
    }

    /**
     * An abnormal reason given by user code.
     *
     * @param description what happened
     */
    record Custom(String description) implements ExitReason {
        public Custom {
            Objects.requireNonNull(description, "description");
            if (description.isBlank()) {
                throw new IllegalArgumentException("an exit reason's description must not be blank");
            }
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
