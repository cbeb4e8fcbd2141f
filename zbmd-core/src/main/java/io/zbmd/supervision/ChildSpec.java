package io.zbmd.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.SpawnOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a supervisor needs to start, restart and stop one child, as OTP's child spec:
 * an id, how to start it, its restart type, how to shut it down, and its kind. Defaults as
 * in OTP: {@link RestartType#PERMANENT}; shutdown 5000 ms for workers, infinity for
 * supervisors. Beyond OTP: {@link #retries()} re-delivers the message whose handling
 * crashed, and {@link #snapshotEvery()} makes a restart resume from the actor's last
 * {@link io.zbmd.actor.Snapshotting snapshot}.
 *
 * <pre>{@code
 * ChildSpec.worker("loader", Loader::new)
 *         .withRestart(RestartType.TRANSIENT)
 *         .withShutdown(Shutdown.timeout(Duration.ofSeconds(2)))
 *         .withRetries(3);
 * }</pre>
 *
 * @param id unique among the supervisor's children
 * @param start how to start the child
 * @param restart when to restart it
 * @param shutdown how to stop it
 * @param kind worker or supervisor
 * @param retries how many times the message whose handling crashed is given to the
 *     restarted child before it becomes a dead letter; 0 (the default, as OTP) never
 * @param mailboxCapacity the child's mailbox bound, or 0 for the system's default
 * @param snapshotEvery for an actor that implements {@code Snapshotting}: take a snapshot
 *     after every this many handled messages (1: after each, the default)
 * @param significant OTP's significant child: with the supervisor's
 *     {@link SupervisorSpec#autoShutdown()}, its ending for good can end the supervisor; only
 *     for transient and temporary children (checked when it is added to a supervisor)
 * @param inPlace zbmd: a worker that crashes is restarted in place, keeping its ref and
 *     mailbox (the default); false restarts it as OTP does, as a new actor with a new ref
 * @param pinned whether the child (an actor) runs on a platform thread of its own, as
 *     {@link io.zbmd.actor.SpawnOptions#pinned()}: for an actor that owns a device context
 */
public record ChildSpec(
        String id,
        Start start,
        RestartType restart,
        Shutdown shutdown,
        ChildKind kind,
        int retries,
        int mailboxCapacity,
        int snapshotEvery,
        boolean significant,
        boolean inPlace,
        boolean pinned) {

    /** Default shutdown of a worker, as OTP. */
    public static final Duration DEFAULT_WORKER_SHUTDOWN = Duration.ofMillis(5000);

    /** How a child is started. */
    public sealed interface Start {}

    /**
     * An ordinary actor.
     *
     * @param factory makes each incarnation
     */
    public record ActorStart(ActorFactory<?> factory) implements Start {
        public ActorStart {
            Objects.requireNonNull(factory, "ChildSpec factory must not be null");
        }
    }

    /**
     * A process actor (own virtual thread).
     *
     * @param body run for each incarnation
     */
    public record ProcessStart(ProcessActor<?> body) implements Start {
        public ProcessStart {
            Objects.requireNonNull(body, "ChildSpec process body must not be null");
        }
    }

    /**
     * A supervisor of its own children.
     *
     * @param spec its specification
     */
    public record SupervisorStart(SupervisorSpec spec) implements Start {
        public SupervisorStart {
            Objects.requireNonNull(spec, "ChildSpec supervisor spec must not be null");
        }
    }

    /** Validates every field, naming the child. */
    public ChildSpec {
        Objects.requireNonNull(id, "ChildSpec.id must not be null");
        if (id.isBlank()) {
            throw new IllegalArgumentException("ChildSpec.id must not be blank");
        }
        Objects.requireNonNull(start, () -> "ChildSpec.start of child '" + id + "' must not be null");
        Objects.requireNonNull(restart, () -> "ChildSpec.restart of child '" + id + "' must not be null");
        Objects.requireNonNull(shutdown, () -> "ChildSpec.shutdown of child '" + id + "' must not be null");
        Objects.requireNonNull(kind, () -> "ChildSpec.kind of child '" + id + "' must not be null");
        if (retries < 0) {
            throw new IllegalArgumentException("ChildSpec.retries of child '" + id + "' must not be negative, got "
                    + retries);
        }
        if (mailboxCapacity != 0) {
            new SpawnOptions(id, mailboxCapacity, false); // validates, naming the field
        }
        if (snapshotEvery < 1) {
            throw new IllegalArgumentException("ChildSpec.snapshotEvery of child '" + id + "' must be at least 1, got "
                    + snapshotEvery);
        }
        if (kind == ChildKind.SUPERVISOR && inPlace) {
            throw new IllegalArgumentException("child supervisor '" + id + "' cannot be restarted in place: a new"
                    + " supervisor replaces it, with its children stopped and started in order");
        }
        if (kind == ChildKind.SUPERVISOR && !(start instanceof SupervisorStart)) {
            throw new IllegalArgumentException("child '" + id + "' is of kind SUPERVISOR but is not started from a"
                    + " SupervisorSpec; use ChildSpec.supervisor(id, spec)");
        }
    }

    /**
     * A permanent worker actor with a 5000 ms shutdown.
     *
     * @param id the child's id
     * @param factory makes each incarnation
     * @param <M> the child's message type
     * @return the spec
     */
    public static <M> ChildSpec worker(String id, ActorFactory<M> factory) {
        return new ChildSpec(id, new ActorStart(factory), RestartType.PERMANENT,
                Shutdown.timeout(DEFAULT_WORKER_SHUTDOWN), ChildKind.WORKER, 0, 0, 1, false, true, false);
    }

    /**
     * A permanent worker actor that does not need its context at construction, with a
     * 5000 ms shutdown: {@code ChildSpec.worker("counter", Counter::new)}. (Java cannot infer
     * the message type of a {@code ctx -> ...} lambda here; a constructor reference or a
     * {@code () -> ...} lambda it can.)
     *
     * @param id the child's id
     * @param actor makes each incarnation
     * @param <M> the child's message type
     * @return the spec
     */
    public static <M> ChildSpec worker(String id, Supplier<? extends Actor<M>> actor) {
        Objects.requireNonNull(actor, "ChildSpec factory must not be null");
        ActorFactory<M> factory = context -> actor.get();
        return worker(id, factory);
    }

    /**
     * A permanent worker process actor with a 5000 ms shutdown.
     *
     * @param id the child's id
     * @param body run for each incarnation
     * @param <M> the child's message type
     * @return the spec
     */
    public static <M> ChildSpec process(String id, ProcessActor<M> body) {
        return new ChildSpec(id, new ProcessStart(body), RestartType.PERMANENT,
                Shutdown.timeout(DEFAULT_WORKER_SHUTDOWN), ChildKind.WORKER, 0, 0, 1, false, true, false);
    }

    /**
     * A permanent child supervisor with an infinite shutdown.
     *
     * @param id the child's id
     * @param spec the child supervisor's specification
     * @return the spec
     */
    public static ChildSpec supervisor(String id, SupervisorSpec spec) {
        return new ChildSpec(id, new SupervisorStart(spec), RestartType.PERMANENT, Shutdown.infinity(),
                ChildKind.SUPERVISOR, 0, 0, 1, false, false, false);
    }

    /** @param value the restart type @return a copy with it */
    public ChildSpec withRestart(RestartType value) {
        return new ChildSpec(id, start, value, shutdown, kind, retries, mailboxCapacity, snapshotEvery,
                significant, inPlace, pinned);
    }

    /** @param value the shutdown @return a copy with it */
    public ChildSpec withShutdown(Shutdown value) {
        return new ChildSpec(id, start, restart, value, kind, retries, mailboxCapacity, snapshotEvery,
                significant, inPlace, pinned);
    }

    /** @param value how many times to retry a crashed message @return a copy with it */
    public ChildSpec withRetries(int value) {
        return new ChildSpec(id, start, restart, shutdown, kind, value, mailboxCapacity, snapshotEvery,
                significant, inPlace, pinned);
    }

    /**
     * @param value the mailbox bound (see {@link ActorSystemConfig#mailboxCapacity()})
     * @return a copy with it
     */
    public ChildSpec withMailboxCapacity(int value) {
        return new ChildSpec(id, start, restart, shutdown, kind, retries, value, snapshotEvery, significant, inPlace,
                pinned);
    }

    /** @param value messages between snapshots @return a copy with it */
    public ChildSpec withSnapshotEvery(int value) {
        return new ChildSpec(id, start, restart, shutdown, kind, retries, mailboxCapacity, value, significant, inPlace,
                pinned);
    }

    /**
     * @param value whether the child is significant (OTP): with the supervisor's auto
     *     shutdown, its ending for good can end the supervisor
     * @return a copy with it
     */
    public ChildSpec withSignificant(boolean value) {
        return new ChildSpec(id, start, restart, shutdown, kind, retries, mailboxCapacity, snapshotEvery, value,
                inPlace, pinned);
    }

    /**
     * @param value true (the default) to restart a crashed worker in place, keeping its ref
     *     and mailbox; false to restart it as OTP does, as a new actor with a new ref (the
     *     messages queued for the old one become dead letters)
     * @return a copy with it
     */
    public ChildSpec withInPlaceRestart(boolean value) {
        return new ChildSpec(id, start, restart, shutdown, kind, retries, mailboxCapacity, snapshotEvery, significant,
                value, pinned);
    }

    /**
     * @param value true to run the child, an actor, on a platform thread of its own (every
     *     turn and every restart there): for an actor that owns a device context and its queue
     * @return a copy with it
     */
    public ChildSpec withPinnedThread(boolean value) {
        return new ChildSpec(id, start, restart, shutdown, kind, retries, mailboxCapacity, snapshotEvery, significant,
                inPlace, value);
    }
}
