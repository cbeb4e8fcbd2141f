package io.zbmd.ml.train;

import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.optim.OptimizerFactory;
import io.zbmd.ml.optim.ScheduleFactory;
import java.util.Locale;
import java.util.Objects;

/**
 * What a step computes, in the spirit of a Keras {@code compile} or a Lightning module's
 * {@code training_step} and {@code configure_optimizers}: the loss, the optimizer, its base
 * learning rate and schedule, gradient clipping and gradient accumulation. Immutable.
 *
 * <pre>{@code
 * TrainingTask task = TrainingTask.of(Loss.mse(), OptimizerFactory.sgd(0.9, 0, false), 0.05)
 *         .withSchedule(ScheduleFactory.constant()).withGradientClipping(1.0).withAccumulation(4);
 * }</pre>
 *
 * @param loss what is minimised
 * @param optimizer makes the optimizer over the model's parameters
 * @param learningRate the base learning rate, finite and above 0
 * @param schedule the learning rate at each step, from the base rate and the run's length
 * @param clipGradNorm the largest global L2 norm of the gradients (as {@code clip_grad_norm_})
 *     before each update; 0 for no clipping
 * @param accumulation batches whose gradients are summed (each weighted by its share of the
 *     samples) before one update, 1 or more: a step is that many batches, fewer at an epoch's end
 */
public record TrainingTask(Loss loss, OptimizerFactory optimizer, double learningRate, ScheduleFactory schedule,
        double clipGradNorm, int accumulation) {

    /** Checks the values. */
    public TrainingTask {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(schedule, "schedule");
        if (!Double.isFinite(learningRate) || !(learningRate > 0)) {
            throw new IllegalArgumentException("the learning rate must be a finite number above 0, got "
                    + learningRate);
        }
        if (!Double.isFinite(clipGradNorm) || clipGradNorm < 0) {
            throw new IllegalArgumentException("the gradient clipping norm must be a finite number, 0 for none, got "
                    + clipGradNorm);
        }
        if (accumulation < 1) {
            throw new IllegalArgumentException("gradient accumulation must be 1 batch or more, got " + accumulation);
        }
    }

    /**
     * @param loss what is minimised
     * @param optimizer the optimizer
     * @param learningRate its base learning rate
     * @return a task with a cosine decay of the rate to 0 over the run, no clipping, no accumulation
     */
    public static TrainingTask of(Loss loss, OptimizerFactory optimizer, double learningRate) {
        return new TrainingTask(loss, optimizer, learningRate, ScheduleFactory.cosine(), 0, 1);
    }

    /**
     * @param learningRate Adam's base learning rate
     * @return a classifier's task: cross-entropy, Adam, a cosine decay to 0 over the run
     */
    public static TrainingTask classification(double learningRate) {
        return of(Loss.crossEntropy(), OptimizerFactory.adam(), learningRate);
    }

    /** @param value the loss @return a copy with it */
    public TrainingTask withLoss(Loss value) {
        return new TrainingTask(value, optimizer, learningRate, schedule, clipGradNorm, accumulation);
    }

    /** @param value the optimizer @return a copy with it */
    public TrainingTask withOptimizer(OptimizerFactory value) {
        return new TrainingTask(loss, value, learningRate, schedule, clipGradNorm, accumulation);
    }

    /** @param value the base learning rate @return a copy with it */
    public TrainingTask withLearningRate(double value) {
        return new TrainingTask(loss, optimizer, value, schedule, clipGradNorm, accumulation);
    }

    /** @param value the schedule @return a copy with it */
    public TrainingTask withSchedule(ScheduleFactory value) {
        return new TrainingTask(loss, optimizer, learningRate, value, clipGradNorm, accumulation);
    }

    /** @param maxNorm the largest global gradient norm, 0 for none @return a copy with it */
    public TrainingTask withGradientClipping(double maxNorm) {
        return new TrainingTask(loss, optimizer, learningRate, schedule, maxNorm, accumulation);
    }

    /** @param batches batches per update @return a copy with it */
    public TrainingTask withAccumulation(int batches) {
        return new TrainingTask(loss, optimizer, learningRate, schedule, clipGradNorm, batches);
    }

    /** @return everything in it that decides the weights, in words */
    String describe() {
        return String.format(Locale.ROOT, "loss=%s,optimizer=%s,lr=%s,schedule=%s,clip_grad_norm=%s,accumulation=%d",
                loss.description(), optimizer.description(), learningRate, schedule.description(), clipGradNorm,
                accumulation);
    }
}
