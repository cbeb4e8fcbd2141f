package io.zbmd.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ProcessActor;
import java.time.Duration;
import java.util.Objects;

/**
 * A dynamic supervisor's specification, as OTP's {@code DynamicSupervisor} (and
 * {@code simple_one_for_one}): one template, children started on demand with arguments,
 * one-for-one restarts. Children that end for good are removed.
 *
 * <pre>{@code
 * DynamicSupervisorSpec<Job, JobMsg> spec =
 *         DynamicSupervisorSpec.of("job", (ctx, job) -> new JobActor(ctx, job))
 *                 .withRestart(RestartType.TRANSIENT)
 *                 .withMaxChildren(100);
 * }</pre>
 *
 * @param name prefix of the children's ids ({@code name-1}, {@code name-2}, ...)
 * @param template makes a child's instance from its arguments; null for process children
 * @param processTemplate makes a process child's body from its arguments; null for actor
 *     children
 * @param restart the children's restart type
 * @param shutdown the children's shutdown
 * @param retries retries of a crashed message
 * @param intensity restarts allowed within the period
 * @param period the intensity's window
 * @param backoff delay before restarts
 * @param maxChildren the most children at once, or 0 for no limit
 * @param <A> the arguments a child is started with
 * @param <M> the children's message type
 */
public record DynamicSupervisorSpec<A, M>(
        String name,
        Template<A, M> template,
        ProcessTemplate<A, M> processTemplate,
        RestartType restart,
        Shutdown shutdown,
        int retries,
        int intensity,
        Duration period,
        Backoff backoff,
        int maxChildren) {

    /**
     * Makes a dynamic child's instance (each incarnation) from its arguments.
     *
     * @param <A> the arguments
     * @param <M> the message type
     */
    @FunctionalInterface
    public interface Template<A, M> {
        /**
         * @param context the child's context
         * @param args the arguments it was started with
         * @return a new actor
         * @throws Exception to fail the start
         */
        Actor<M> create(ActorContext<M> context, A args) throws Exception;
    }

    /**
     * Makes a dynamic process child's body (every incarnation runs it from its
     * {@link ProcessActor#init}) from its arguments.
     *
     * @param <A> the arguments
     * @param <M> the message type
     */
    @FunctionalInterface
    public interface ProcessTemplate<A, M> {
        /**
         * @param args the arguments it was started with
         * @return the body
         */
        ProcessActor<M> create(A args);
    }

    /** Validates every field. */
    public DynamicSupervisorSpec {
        Objects.requireNonNull(name, "DynamicSupervisorSpec.name must not be null");
        if ((template == null) == (processTemplate == null)) {
            throw new IllegalArgumentException("DynamicSupervisorSpec needs exactly one of template and processTemplate");
        }
        Objects.requireNonNull(restart, "DynamicSupervisorSpec.restart must not be null");
        Objects.requireNonNull(shutdown, "DynamicSupervisorSpec.shutdown must not be null");
        if (retries < 0) {
            throw new IllegalArgumentException("DynamicSupervisorSpec.retries must not be negative, got " + retries);
        }
        if (maxChildren < 0) {
            throw new IllegalArgumentException("DynamicSupervisorSpec.maxChildren must not be negative, got "
                    + maxChildren);
        }
        new SupervisorSpec(Strategy.ONE_FOR_ONE, intensity, period, RestartCounting.EVERY_RESTART,
                AutoShutdown.NEVER, backoff,
                java.util.List.of()); // validates those
    }

    /**
     * @param name prefix of the children's ids
     * @param template makes each incarnation from the arguments
     * @param <A> the arguments
     * @param <M> the message type
     * @return permanent children, 5000 ms shutdown, OTP's default intensity, no limit
     */
    public static <A, M> DynamicSupervisorSpec<A, M> of(String name, Template<A, M> template) {
        return new DynamicSupervisorSpec<>(name, Objects.requireNonNull(template, "template must not be null"), null,
                RestartType.PERMANENT, Shutdown.timeout(ChildSpec.DEFAULT_WORKER_SHUTDOWN), 0,
                SupervisorSpec.DEFAULT_INTENSITY, SupervisorSpec.DEFAULT_PERIOD, Backoff.NONE, 0);
    }

    /**
     * Process-actor children, as OTP's {@code simple_one_for_one} of {@code proc_lib}
     * processes: each one's {@link ProcessActor#init} has returned before its start does.
     *
     * @param name prefix of the children's ids
     * @param template makes each child's body from its arguments
     * @param <A> the arguments
     * @param <M> the message type
     * @return permanent children, 5000 ms shutdown, OTP's default intensity, no limit
     */
    public static <A, M> DynamicSupervisorSpec<A, M> ofProcess(String name, ProcessTemplate<A, M> template) {
        return new DynamicSupervisorSpec<>(name, null, Objects.requireNonNull(template, "template must not be null"),
                RestartType.PERMANENT, Shutdown.timeout(ChildSpec.DEFAULT_WORKER_SHUTDOWN), 0,
                SupervisorSpec.DEFAULT_INTENSITY, SupervisorSpec.DEFAULT_PERIOD, Backoff.NONE, 0);
    }

    /** @param value the restart type @return a copy with it */
    public DynamicSupervisorSpec<A, M> withRestart(RestartType value) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, value, shutdown, retries, intensity, period, backoff,
                maxChildren);
    }

    /** @param value the shutdown @return a copy with it */
    public DynamicSupervisorSpec<A, M> withShutdown(Shutdown value) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, restart, value, retries, intensity, period, backoff,
                maxChildren);
    }

    /** @param value retries of a crashed message @return a copy with it */
    public DynamicSupervisorSpec<A, M> withRetries(int value) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, restart, shutdown, value, intensity, period, backoff,
                maxChildren);
    }

    /**
     * @param restarts allowed within the period
     * @param within the period
     * @return a copy with them
     */
    public DynamicSupervisorSpec<A, M> withIntensity(int restarts, Duration within) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, restart, shutdown, retries, restarts, within, backoff,
                maxChildren);
    }

    /** @param value the backoff @return a copy with it */
    public DynamicSupervisorSpec<A, M> withBackoff(Backoff value) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, restart, shutdown, retries, intensity, period, value,
                maxChildren);
    }

    /** @param value the most children at once (0: no limit) @return a copy with it */
    public DynamicSupervisorSpec<A, M> withMaxChildren(int value) {
        return new DynamicSupervisorSpec<>(name, template, processTemplate, restart, shutdown, retries, intensity, period, backoff,
                value);
    }

    /** @return the strategy-level part of this spec, for the supervisor */
    SupervisorSpec asSupervisorSpec() {
        return new SupervisorSpec(Strategy.ONE_FOR_ONE, intensity, period, RestartCounting.EVERY_RESTART,
                AutoShutdown.NEVER, backoff,
                java.util.List.of());
    }

    /**
     * The child spec for one dynamic child.
     *
     * @param id the child's id
     * @param args its arguments
     * @return the spec
     */
    @SuppressWarnings("unchecked")
    public ChildSpec childSpec(String id, Object args) {
        A typed = (A) args;
        ChildSpec spec;
        if (template != null) {
            io.zbmd.actor.ActorFactory<M> factory = ctx -> template.create(ctx, typed);
            spec = ChildSpec.worker(id, factory);
        } else {
            spec = ChildSpec.process(id, processTemplate.create(typed));
        }
        return spec.withRestart(restart)
                .withShutdown(shutdown)
                .withRetries(retries);
    }
}
