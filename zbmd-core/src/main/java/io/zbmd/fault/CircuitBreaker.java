package io.zbmd.fault;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A circuit breaker: stops calling something that keeps failing, and tries it again later.
 *
 * <ul>
 *   <li>{@link State#CLOSED}: calls go through; {@code failureThreshold} failures in a row
 *       open the circuit.
 *   <li>{@link State#OPEN}: calls fail at once with {@link CircuitOpenException}; after
 *       {@code openTimeout} the circuit goes half-open.
 *   <li>{@link State#HALF_OPEN}: one trial call at a time goes through; a failure opens the
 *       circuit again, {@code successThreshold} successes in a row close it.
 * </ul>
 *
 * <p>Time comes from an injectable clock (nanoseconds), so tests drive it exactly. Use either
 * {@link #call(Callable)}, or {@link #tryAcquire()} followed by exactly one of
 * {@link #onSuccess()} or {@link #onFailure()}. Thread-safe.
 */
public final class CircuitBreaker {

    /** The breaker's state. */
    public enum State {
        /** Calls go through. */
        CLOSED,
        /** Calls are refused. */
        OPEN,
        /** Trial calls go through one at a time. */
        HALF_OPEN
    }

    /**
     * A state change, for listeners.
     *
     * @param name the breaker's name
     * @param from the old state
     * @param to the new state
     */
    public record Transition(String name, State from, State to) {}

    /**
     * The breaker's limits, validated.
     *
     * @param failureThreshold failures in a row that open the circuit, at least 1
     * @param successThreshold successes in a row, half-open, that close it, at least 1
     * @param openTimeout how long it stays open before a trial, positive
     */
    public record Config(int failureThreshold, int successThreshold, Duration openTimeout) {
        public Config {
            if (failureThreshold < 1) {
                throw new IllegalArgumentException("CircuitBreaker.failureThreshold must be at least 1, got "
                        + failureThreshold);
            }
            if (successThreshold < 1) {
                throw new IllegalArgumentException("CircuitBreaker.successThreshold must be at least 1, got "
                        + successThreshold);
            }
            Objects.requireNonNull(openTimeout, "CircuitBreaker.openTimeout must not be null");
            if (openTimeout.isZero() || openTimeout.isNegative()) {
                throw new IllegalArgumentException("CircuitBreaker.openTimeout must be positive, got " + openTimeout);
            }
        }
    }

    private final String name;
    private final Config config;
    private final LongSupplier clock;
    private final CopyOnWriteArrayList<Consumer<Transition>> listeners = new CopyOnWriteArrayList<>();
    private State state = State.CLOSED;
    private int failures;
    private int successes;
    private long openedAt;
    private boolean trialInFlight;

    /**
     * @param name for messages and transitions
     * @param config the limits
     * @param clock nanoseconds, such as {@code System::nanoTime}
     */
    public CircuitBreaker(String name, Config config, LongSupplier clock) {
        this.name = Objects.requireNonNull(name, "name must not be null");
        this.config = Objects.requireNonNull(config, "config must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * @param listener called on every state change, on the thread that caused it
     * @return removes the listener
     */
    public AutoCloseable onTransition(Consumer<Transition> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
        return () -> listeners.remove(listener);
    }

    /** @return the state now (an open breaker whose timeout has passed still says OPEN until asked) */
    public synchronized State state() {
        return state;
    }

    /**
     * Asks to make a call.
     *
     * @return true if the call may go ahead: report its outcome with {@link #onSuccess()} or
     *     {@link #onFailure()}
     */
    public boolean tryAcquire() {
        Transition transition;
        synchronized (this) {
            transition = null;
            if (state == State.OPEN && clock.getAsLong() - openedAt >= config.openTimeout().toNanos()) {
                transition = moveTo(State.HALF_OPEN);
            }
            boolean allowed = switch (state) {
                case CLOSED -> true;
                case OPEN -> false;
                case HALF_OPEN -> !trialInFlight;
            };
            if (allowed && state == State.HALF_OPEN) {
                trialInFlight = true;
            }
            if (!allowed) {
                notify(transition);
                return false;
            }
        }
        notify(transition);
        return true;
    }

    /** The call allowed by {@link #tryAcquire()} succeeded. */
    public void onSuccess() {
        Transition transition = null;
        synchronized (this) {
            switch (state) {
                case CLOSED -> failures = 0;
                case HALF_OPEN -> {
                    trialInFlight = false;
                    if (++successes >= config.successThreshold()) {
                        transition = moveTo(State.CLOSED);
                    }
                }
                case OPEN -> {} // a call from before the circuit opened: no effect
            }
        }
        notify(transition);
    }

    /** The call allowed by {@link #tryAcquire()} failed. */
    public void onFailure() {
        Transition transition = null;
        synchronized (this) {
            switch (state) {
                case CLOSED -> {
                    if (++failures >= config.failureThreshold()) {
                        transition = moveTo(State.OPEN);
                    }
                }
                case HALF_OPEN -> {
                    trialInFlight = false;
                    transition = moveTo(State.OPEN);
                }
                case OPEN -> {}
            }
        }
        notify(transition);
    }

    /**
     * Makes a call through the breaker.
     *
     * @param call the call
     * @param <T> its result
     * @return its result
     * @throws CircuitOpenException if the circuit is open (the call is not made)
     * @throws Exception whatever the call throws (counted as a failure)
     */
    public <T> T call(Callable<T> call) throws Exception {
        Objects.requireNonNull(call, "call must not be null");
        if (!tryAcquire()) {
            long retryAfter;
            synchronized (this) {
                retryAfter = state == State.OPEN
                        ? Math.max(0, config.openTimeout().toNanos() - (clock.getAsLong() - openedAt))
                        : 0;
            }
            throw new CircuitOpenException("circuit '" + name + "' is " + state().name().toLowerCase()
                    + ": call refused; a trial call is let through in " + retryAfter / 1_000_000 + " ms", retryAfter);
        }
        T result;
        try {
            result = call.call();
        } catch (Exception failure) {
            onFailure();
            throw failure;
        }
        onSuccess();
        return result;
    }

    private Transition moveTo(State next) {
        Transition transition = new Transition(name, state, next);
        state = next;
        failures = 0;
        successes = 0;
        trialInFlight = false;
        if (next == State.OPEN) {
            openedAt = clock.getAsLong();
        }
        return transition;
    }

    private void notify(Transition transition) {
        if (transition != null) {
            for (Consumer<Transition> listener : listeners) {
                listener.accept(transition);
            }
        }
    }

    @Override
    public String toString() {
        return "CircuitBreaker[" + name + ", " + state() + "]";
    }
}
