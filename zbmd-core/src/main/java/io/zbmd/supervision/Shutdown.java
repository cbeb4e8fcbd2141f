package io.zbmd.supervision;

import java.time.Duration;
import java.util.Objects;

/**
 * How a supervisor stops a child: kill it at once, ask it to stop and kill it if it has not
 * ended within a timeout, or wait as long as it takes (for child supervisors, which stop
 * their own trees).
 */
public sealed interface Shutdown {

    /**
     * @return kill at once: the supervisor does not wait (the child's {@code onStop} still
     *     runs, to release its resources)
     */
    static Shutdown brutalKill() {
        return new BrutalKill();
    }

    /**
     * @param timeout how long the child may take to end, positive
     * @return stop, then kill after the timeout
     */
    static Shutdown timeout(Duration timeout) {
        return new Timeout(timeout);
    }

    /** @return stop and wait as long as it takes */
    static Shutdown infinity() {
        return new Infinity();
    }

    /** Kill at once. */
    record BrutalKill() implements Shutdown {}

    /**
     * Stop, then kill after the timeout.
     *
     * @param timeout positive
     */
    record Timeout(Duration timeout) implements Shutdown {
        public Timeout {
            Objects.requireNonNull(timeout, "Shutdown.timeout must not be null");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("Shutdown.timeout must be positive, got " + timeout
                        + "; use Shutdown.brutalKill() to kill at once");
            }
        }
    }

    /** Wait as long as it takes. */
    record Infinity() implements Shutdown {}
}
