package io.zbmd.actor;

import io.zbmd.dispatch.DispatcherKind;
import java.time.Duration;
import java.util.Objects;

/**
 * An actor system's configuration: immutable, validated when built (a nonsense value fails
 * with a message naming the field), with named defaults. Start from {@link #defaults()}:
 *
 * <pre>{@code
 * var config = ActorSystemConfig.defaults().withName("trainer").withWorkers(2);
 * }</pre>
 *
 * @param name the system's name, in logs and thread names
 * @param workers worker threads, 1 to 1024 (ignored by the deterministic dispatcher)
 * @param mailboxCapacity default bound of every mailbox, from 1 to 2^30 messages (the bound
 *     is exact)
 * @param reductionsPerTurn how many messages (or cost units, see
 *     {@link ActorContext#charge(int)}) an actor may handle before it gives up its worker,
 *     1 to 1,000,000
 * @param dispatcher which scheduler runs the actors
 * @param shutdownTimeout how long {@link ActorSystem#close()} waits for actors to end
 *     before it logs the ones still running and stops the workers anyway
 * @param faultInjection faults to inject, {@link FaultInjection#NONE} for none
 */
public record ActorSystemConfig(
        String name,
        int workers,
        int mailboxCapacity,
        int reductionsPerTurn,
        DispatcherKind dispatcher,
        Duration shutdownTimeout,
        FaultInjection faultInjection) {

    /** Default {@link #mailboxCapacity()}. */
    public static final int DEFAULT_MAILBOX_CAPACITY = 1024;
    /** Default {@link #reductionsPerTurn()}. */
    public static final int DEFAULT_REDUCTIONS_PER_TURN = 64;
    /** Default {@link #shutdownTimeout()}. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    /** Validates every field. */
    public ActorSystemConfig {
        Objects.requireNonNull(name, "ActorSystemConfig.name must not be null");
        if (name.isBlank() || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("ActorSystemConfig.name must be letters, digits, '_', '.' or '-', got '"
                    + name + "'");
        }
        if (workers < 1 || workers > 1024) {
            throw new IllegalArgumentException(
                    "ActorSystemConfig.workers must be between 1 and 1024, got " + workers);
        }
        checkMailboxCapacity("ActorSystemConfig.mailboxCapacity", mailboxCapacity);
        if (reductionsPerTurn < 1 || reductionsPerTurn > 1_000_000) {
            throw new IllegalArgumentException("ActorSystemConfig.reductionsPerTurn must be between 1 and 1000000, got "
                    + reductionsPerTurn);
        }
        Objects.requireNonNull(dispatcher, "ActorSystemConfig.dispatcher must not be null");
        Objects.requireNonNull(shutdownTimeout, "ActorSystemConfig.shutdownTimeout must not be null");
        if (shutdownTimeout.isNegative() || shutdownTimeout.isZero()) {
            throw new IllegalArgumentException("ActorSystemConfig.shutdownTimeout must be positive, got "
                    + shutdownTimeout);
        }
        Objects.requireNonNull(faultInjection, "ActorSystemConfig.faultInjection must not be null (use FaultInjection.NONE)");
    }

    /**
     * The defaults: name "zbmd", one worker per available processor, mailboxes of 1024,
     * 64 reductions per turn, the work-stealing dispatcher, 30 s shutdown timeout, no fault
     * injection.
     *
     * @return the default configuration
     */
    public static ActorSystemConfig defaults() {
        return new ActorSystemConfig("zbmd", Runtime.getRuntime().availableProcessors(), DEFAULT_MAILBOX_CAPACITY,
                DEFAULT_REDUCTIONS_PER_TURN, DispatcherKind.workStealing(), DEFAULT_SHUTDOWN_TIMEOUT,
                FaultInjection.NONE);
    }

    /**
     * The defaults with the deterministic dispatcher, for tests.
     *
     * @param seed drives the interleaving and any fault injection
     * @return a deterministic configuration
     */
    public static ActorSystemConfig deterministic(long seed) {
        return defaults().withWorkers(1).withDispatcher(DispatcherKind.deterministic(seed));
    }

    /** @param value the name @return a copy with it */
    public ActorSystemConfig withName(String value) {
        return new ActorSystemConfig(value, workers, mailboxCapacity, reductionsPerTurn, dispatcher, shutdownTimeout,
                faultInjection);
    }

    /** @param value worker threads @return a copy with it */
    public ActorSystemConfig withWorkers(int value) {
        return new ActorSystemConfig(name, value, mailboxCapacity, reductionsPerTurn, dispatcher, shutdownTimeout,
                faultInjection);
    }

    /** @param value default mailbox capacity @return a copy with it */
    public ActorSystemConfig withMailboxCapacity(int value) {
        return new ActorSystemConfig(name, workers, value, reductionsPerTurn, dispatcher, shutdownTimeout,
                faultInjection);
    }

    /** @param value reductions per turn @return a copy with it */
    public ActorSystemConfig withReductionsPerTurn(int value) {
        return new ActorSystemConfig(name, workers, mailboxCapacity, value, dispatcher, shutdownTimeout,
                faultInjection);
    }

    /** @param value the dispatcher @return a copy with it */
    public ActorSystemConfig withDispatcher(DispatcherKind value) {
        return new ActorSystemConfig(name, workers, mailboxCapacity, reductionsPerTurn, value, shutdownTimeout,
                faultInjection);
    }

    /** @param value the shutdown timeout @return a copy with it */
    public ActorSystemConfig withShutdownTimeout(Duration value) {
        return new ActorSystemConfig(name, workers, mailboxCapacity, reductionsPerTurn, dispatcher, value,
                faultInjection);
    }

    /** @param value the faults to inject @return a copy with it */
    public ActorSystemConfig withFaultInjection(FaultInjection value) {
        return new ActorSystemConfig(name, workers, mailboxCapacity, reductionsPerTurn, dispatcher, shutdownTimeout,
                value);
    }

    static void checkMailboxCapacity(String field, int capacity) {
        if (capacity < 1 || capacity > (1 << 30)) {
            throw new IllegalArgumentException(field + " must be from 1 to 2^30 messages, got " + capacity
                    + "; use " + (capacity < 1 ? 1 : 1 << 30) + " or a value between");
        }
    }
}
