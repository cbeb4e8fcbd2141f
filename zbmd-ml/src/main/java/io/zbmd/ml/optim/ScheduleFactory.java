package io.zbmd.ml.optim;

import java.util.Locale;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Makes a run's {@link LrSchedule} once its length is known: the base learning rate and the
 * total number of optimizer steps go in. Its {@link #description()} is recorded in the run's
 * identity.
 */
public interface ScheduleFactory {

    /** @return the schedule and its parameters, e.g. "cosine(min=0)" */
    String description();

    /**
     * @param lr the base learning rate
     * @param totalSteps the run's optimizer steps, 1 or more
     * @return the schedule
     */
    LrSchedule create(double lr, long totalSteps);

    /**
     * @param description what it does, recorded in the run's identity
     * @param factory makes the schedule from the base rate and the run's length
     * @return a schedule factory
     */
    static ScheduleFactory of(String description, BiFunction<Double, Long, LrSchedule> factory) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(factory, "factory");
        return new ScheduleFactory() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public LrSchedule create(double lr, long totalSteps) {
                return factory.apply(lr, totalSteps);
            }
        };
    }

    /** @return the base rate at every step */
    static ScheduleFactory constant() {
        return of("constant", (lr, total) -> LrSchedule.constant(lr));
    }

    /** @return cosine annealing from the base rate to 0 over the run, as {@code CosineAnnealingLR(T_max=steps)} */
    static ScheduleFactory cosine() {
        return of("cosine(min=0)", (lr, total) -> LrSchedule.cosine(lr, total, 0));
    }

    /**
     * @param warmup steps of linear warm-up from 0
     * @return a linear warm-up, then cosine annealing to 0 over the remaining steps
     */
    static ScheduleFactory warmupCosine(long warmup) {
        if (warmup < 0) {
            throw new IllegalArgumentException("warm-up steps must be 0 or more, got " + warmup);
        }
        return of("warmup_cosine(warmup=" + warmup + ", min=0)",
                (lr, total) -> LrSchedule.cosine(lr, Math.max(1, total - warmup), 0).withLinearWarmup(warmup));
    }

    /**
     * @param every steps between decays, 1 or more
     * @param gamma the factor at each decay, finite and above 0
     * @return {@code lr · gamma^(step / every)}, as {@code StepLR}
     */
    static ScheduleFactory step(long every, double gamma) {
        if (every < 1 || !Double.isFinite(gamma) || !(gamma > 0)) {
            throw new IllegalArgumentException("a step schedule needs every >= 1 and a finite gamma above 0, got "
                    + every + " and " + gamma);
        }
        return of(String.format(Locale.ROOT, "step(every=%d, gamma=%s)", every, gamma),
                (lr, total) -> LrSchedule.step(lr, every, gamma));
    }
}
