package io.zbmd.ml.train;

import java.time.Duration;
import java.util.Objects;

/**
 * When a supervised training run gives up. The rule follows progress, not the clock: a run
 * whose steps keep committing is never stopped, however many failures per second it
 * recovers from (on a faster machine, or with more faults injected, there are more of them
 * per second); a run that stops committing stops quickly, naming the step and the cause.
 *
 * <ul>
 *   <li><b>A step that keeps failing.</b> A step fails when the actor handling one of its
 *       stages crashes (a device error, or an out-of-memory the micro-batches cannot absorb,
 *       is such a crash) or when a stage's reply does not come within its timeout. After
 *       {@code failuresPerStep} failures of one step the run stops with a
 *       {@link TrainingFailedException} naming the step, its stage and the last failure.
 *       Each committed step starts the count again. A checkpoint is held to the same count:
 *       one that cannot be written in {@code failuresPerStep} tries stops the run.
 *   <li><b>A restart loop.</b> The training supervisor keeps OTP's intensity for what it
 *       means: more than {@code unrecoveredRestarts} restarts within {@code restartPeriod} make it give
 *       up. It counts a restart only until the restarted actor has handled a message
 *       ({@link io.zbmd.supervision.RestartCounting#UNRECOVERED}), so recovered crashes leave
 *       the count and what reaches the limit is an actor that cannot start, or that crashes
 *       on everything it is given (the metrics actor under a listener that always throws,
 *       say).
 * </ul>
 *
 * <p>Why 50 failures per step: injected and real device faults come per kernel, so the share of
 * a step's attempts that fail grows with the kernels a step runs. Under the demo's faults (1 %
 * of messages crash, 0.1 % of kernels fail, 0.05 % run out of memory) about a third of the
 * MLP's attempts fail once its batches are split in four, and its worst step in a 7,035-step
 * run failed 8 times; about two thirds of the CNN's fail, and its worst step in 300 failed 15
 * times. 51 failures in a row then have a chance of about 3e-10 per step of the CNN, so a
 * healthy run is not stopped, while a step that can never succeed stops after 51 tries,
 * well under a second for these models.
 *
 * @param failuresPerStep failures of one step before the run stops, 1 or more
 * @param stageTimeout the longest wait for a stage's reply before it counts as lost and is
 *     asked again; after a stage of its kind has completed, the wait is 20 times the slowest
 *     recent one, but not under 1 s nor over this
 * @param unrecoveredRestarts restarts not yet recovered from that the training supervisor allows
 *     within the period, {@code failuresPerStep} or more (so that a failing step is reported
 *     as one, with its number, rather than as a restart loop)
 * @param restartPeriod the supervisor's sliding window, positive
 */
public record FailureLimits(int failuresPerStep, Duration stageTimeout, int unrecoveredRestarts, Duration restartPeriod) {

    /** Default {@link #failuresPerStep()}. */
    public static final int DEFAULT_FAILURES_PER_STEP = 50;
    /** Default {@link #stageTimeout()}. */
    public static final Duration DEFAULT_STAGE_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link #unrecoveredRestarts()}. */
    public static final int DEFAULT_UNRECOVERED_RESTARTS = 100;
    /** Default {@link #restartPeriod()}. */
    public static final Duration DEFAULT_RESTART_PERIOD = Duration.ofSeconds(10);

    /** Checks the values. */
    public FailureLimits {
        Objects.requireNonNull(stageTimeout, "FailureLimits.stageTimeout");
        Objects.requireNonNull(restartPeriod, "FailureLimits.restartPeriod");
        if (failuresPerStep < 1) {
            throw new IllegalArgumentException("FailureLimits.failuresPerStep must be 1 or more, got " + failuresPerStep);
        }
        if (stageTimeout.isNegative() || stageTimeout.isZero()) {
            throw new IllegalArgumentException("FailureLimits.stageTimeout must be positive, got " + stageTimeout);
        }
        if (unrecoveredRestarts < failuresPerStep) {
            throw new IllegalArgumentException("FailureLimits.unrecoveredRestarts must be at least failuresPerStep ("
                    + failuresPerStep + "), got " + unrecoveredRestarts + ": a step that keeps failing is to be reported as"
                    + " such, with its number");
        }
        if (restartPeriod.isNegative() || restartPeriod.isZero()) {
            throw new IllegalArgumentException("FailureLimits.restartPeriod must be positive, got " + restartPeriod);
        }
    }

    /** @return 50 failures per step, a 60 s stage timeout, 100 unrecovered restarts in 10 s */
    public static FailureLimits defaults() {
        return new FailureLimits(DEFAULT_FAILURES_PER_STEP, DEFAULT_STAGE_TIMEOUT, DEFAULT_UNRECOVERED_RESTARTS,
                DEFAULT_RESTART_PERIOD);
    }

    /**
     * @param value failures of one step before the run stops
     * @return a copy with it, and with {@link #unrecoveredRestarts()} raised to it if it was lower
     */
    public FailureLimits withFailuresPerStep(int value) {
        return new FailureLimits(value, stageTimeout, Math.max(unrecoveredRestarts, value), restartPeriod);
    }

    /** @param value the longest wait for a stage's reply @return a copy with it */
    public FailureLimits withStageTimeout(Duration value) {
        return new FailureLimits(failuresPerStep, value, unrecoveredRestarts, restartPeriod);
    }

    /**
     * @param restarts unrecovered restarts allowed within the period
     * @param within the period
     * @return a copy with them
     */
    public FailureLimits withUnrecoveredRestarts(int restarts, Duration within) {
        return new FailureLimits(failuresPerStep, stageTimeout, restarts, within);
    }
}
