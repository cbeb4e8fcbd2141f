package io.zbmd.supervision;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A supervisor's specification: strategy, restart intensity and period, optional backoff,
 * and its children in start order. Immutable; built fluently and validated as it is built:
 *
 * <pre>{@code
 * SupervisorSpec spec = SupervisorSpec.oneForOne()
 *         .withIntensity(10, Duration.ofMinutes(1))
 *         .withChild(ChildSpec.worker("counter", ctx -> new Counter()))
 *         .withChild(ChildSpec.worker("logger", Logger::new));
 * }</pre>
 *
 * <p>More than {@code intensity} restarts within {@code period} make the supervisor stop
 * all its children (in reverse start order) and exit with reason {@code shutdown}, which
 * escalates to its own supervisor. The defaults are OTP's: 1 restart in 5 seconds, every
 * restart counted ({@link RestartCounting}).
 *
 * @param strategy which children a restart involves
 * @param intensity restarts allowed within the period, zero or more
 * @param period the sliding window for the intensity, positive
 * @param counting which restarts count against the intensity
 * @param autoShutdown OTP's auto_shutdown: whether the supervisor ends when significant
 *     children end for good ({@link AutoShutdown#NEVER} by default)
 * @param backoff delay before restarts, {@link Backoff#NONE} by default
 * @param children the children, in start order, with unique ids
 */
public record SupervisorSpec(Strategy strategy, int intensity, Duration period, RestartCounting counting,
        AutoShutdown autoShutdown, Backoff backoff, List<ChildSpec> children) {

    /** OTP's default intensity. */
    public static final int DEFAULT_INTENSITY = 1;
    /** OTP's default period. */
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(5);

    /** Validates every field. */
    public SupervisorSpec {
        Objects.requireNonNull(strategy, "SupervisorSpec.strategy must not be null");
        if (intensity < 0) {
            throw new IllegalArgumentException("SupervisorSpec.intensity must not be negative, got " + intensity);
        }
        Objects.requireNonNull(period, "SupervisorSpec.period must not be null");
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("SupervisorSpec.period must be positive, got " + period);
        }
        Objects.requireNonNull(counting, "SupervisorSpec.counting must not be null (RestartCounting.EVERY_RESTART is OTP's)");
        Objects.requireNonNull(autoShutdown, "SupervisorSpec.autoShutdown must not be null (AutoShutdown.NEVER is OTP's)");
        Objects.requireNonNull(backoff, "SupervisorSpec.backoff must not be null (use Backoff.NONE)");
        Objects.requireNonNull(children, "SupervisorSpec.children must not be null");
        Set<String> ids = new HashSet<>();
        for (ChildSpec child : children) {
            Objects.requireNonNull(child, "SupervisorSpec.children must not contain null");
            if (!ids.add(child.id())) {
                throw new IllegalArgumentException("duplicate child id '" + child.id()
                        + "' in a SupervisorSpec: child ids must be unique within a supervisor");
            }
            checkSignificant(child);
        }
        children = List.copyOf(children);
    }

    /**
     * OTP's rule: only a transient or temporary child may be significant.
     *
     * @param child a child about to join a supervisor
     * @throws IllegalArgumentException if it is significant and permanent
     */
    static void checkSignificant(ChildSpec child) {
        if (child.significant() && child.restart() == RestartType.PERMANENT) {
            throw new IllegalArgumentException("child '" + child.id() + "' is significant and permanent: a significant"
                    + " child must be transient or temporary, as in OTP");
        }
    }

    /** @return a one-for-one supervisor with OTP's defaults and no children yet */
    public static SupervisorSpec oneForOne() {
        return of(Strategy.ONE_FOR_ONE);
    }

    /** @return a one-for-all supervisor with OTP's defaults and no children yet */
    public static SupervisorSpec oneForAll() {
        return of(Strategy.ONE_FOR_ALL);
    }

    /** @return a rest-for-one supervisor with OTP's defaults and no children yet */
    public static SupervisorSpec restForOne() {
        return of(Strategy.REST_FOR_ONE);
    }

    private static SupervisorSpec of(Strategy strategy) {
        return new SupervisorSpec(strategy, DEFAULT_INTENSITY, DEFAULT_PERIOD, RestartCounting.EVERY_RESTART,
                AutoShutdown.NEVER, Backoff.NONE,
                List.of());
    }

    /**
     * @param restarts how many restarts are allowed within the period
     * @param within the period
     * @return a copy with them
     */
    public SupervisorSpec withIntensity(int restarts, Duration within) {
        return new SupervisorSpec(strategy, restarts, within, counting, autoShutdown, backoff, children);
    }

    /**
     * @param value which restarts count against the intensity ({@link RestartCounting#UNRECOVERED}
     *     for children whose failures are a share of their work)
     * @return a copy with it
     */
    public SupervisorSpec withRestartCounting(RestartCounting value) {
        return new SupervisorSpec(strategy, intensity, period, value, autoShutdown, backoff, children);
    }

    /**
     * @param value OTP's auto_shutdown: whether the supervisor ends, with reason shutdown,
     *     when any or all of its significant children have ended for good
     * @return a copy with it
     */
    public SupervisorSpec withAutoShutdown(AutoShutdown value) {
        return new SupervisorSpec(strategy, intensity, period, counting, value, backoff, children);
    }

    /** @param value the backoff @return a copy with it */
    public SupervisorSpec withBackoff(Backoff value) {
        return new SupervisorSpec(strategy, intensity, period, counting, autoShutdown, value, children);
    }

    /**
     * @param child one more child, started after those already there
     * @return a copy with it
     * @throws IllegalArgumentException if its id is taken
     */
    public SupervisorSpec withChild(ChildSpec child) {
        List<ChildSpec> more = new ArrayList<>(children);
        more.add(child);
        return new SupervisorSpec(strategy, intensity, period, counting, autoShutdown, backoff, more);
    }
}
