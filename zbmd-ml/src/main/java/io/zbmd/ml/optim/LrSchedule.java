package io.zbmd.ml.optim;

/**
 * A learning rate as a function of the step (0-based), as PyTorch's schedulers compute it.
 * Pure functions of the step, so a resumed run sets exactly the rate it would have had.
 */
@FunctionalInterface
public interface LrSchedule {

    /**
     * @param step the number of optimizer steps taken so far
     * @return the learning rate for the next step
     */
    double lr(long step);

    /** @return a constant rate */
    static LrSchedule constant(double lr) {
        return step -> lr;
    }

    /** @return {@code base · gamma^(step / every)}, as {@code StepLR} */
    static LrSchedule step(double base, long every, double gamma) {
        if (every <= 0) {
            throw new IllegalArgumentException("step schedule interval must be positive, got " + every);
        }
        return step -> base * Math.pow(gamma, step / every);
    }

    /**
     * @return cosine annealing from {@code base} to {@code min} over {@code total} steps, as
     *     {@code CosineAnnealingLR} (then stays at {@code min})
     */
    static LrSchedule cosine(double base, long total, double min) {
        if (total <= 0) {
            throw new IllegalArgumentException("cosine schedule length must be positive, got " + total);
        }
        return step -> step >= total ? min : min + (base - min) * (1 + Math.cos(Math.PI * step / total)) / 2;
    }

    /**
     * @return this schedule after a linear warm-up from {@code 0} over {@code warmup} steps
     *     (the warmed-up schedule then starts at its own step 0)
     */
    default LrSchedule withLinearWarmup(long warmup) {
        if (warmup <= 0) {
            return this;
        }
        LrSchedule after = this;
        return step -> step < warmup ? after.lr(0) * (step + 1) / warmup : after.lr(step - warmup);
    }
}
