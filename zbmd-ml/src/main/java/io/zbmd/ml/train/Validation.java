package io.zbmd.ml.train;

import io.zbmd.ml.data.Dataset;
import java.util.Locale;
import java.util.Objects;

/**
 * Measuring a run on validation data as it trains, and optionally stopping it early: every
 * {@code everyEpochs} epochs (and after the last) the model actor evaluates the task's loss
 * and, for class targets, the accuracy on {@code data}, in evaluation mode (which changes no
 * weight, statistic or random state: the run's weights are those of a run without it), and
 * the listener hears it ({@link TrainingListener#validated}). With a {@code patience}, the run
 * stops, with a final checkpoint, once the {@code metric} has not improved by more than
 * {@code minDelta} on that many validations in a row. The early-stopping state is checkpointed
 * with the rest: a resumed run stops where the uninterrupted one did.
 *
 * @param data the validation set
 * @param everyEpochs epochs between validations, 1 or more
 * @param metric what early stopping watches
 * @param patience validations without improvement before the run stops; 0 never stops it
 * @param minDelta the least change that counts as an improvement, 0 or more
 */
public record Validation(Dataset data, int everyEpochs, Metric metric, int patience, double minDelta) {

    /** What early stopping watches. */
    public enum Metric {
        /** The task's loss on the validation set: lower is better. */
        LOSS,
        /** The fraction classified correctly: higher is better. */
        ACCURACY
    }

    /** Checks the values. */
    public Validation {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metric, "metric");
        if (everyEpochs < 1 || patience < 0 || !Double.isFinite(minDelta) || minDelta < 0) {
            throw new IllegalArgumentException("validation out of range: every " + everyEpochs + " epochs (1 or more),"
                    + " patience " + patience + " (0 or more), min delta " + minDelta + " (a finite number, 0 or"
                    + " more)");
        }
    }

    /**
     * @param everyEpochs epochs between validations
     * @param data the validation set
     * @return validation with no early stopping
     */
    public static Validation every(int everyEpochs, Dataset data) {
        return new Validation(data, everyEpochs, Metric.LOSS, 0, 0);
    }

    /**
     * @param watched the metric
     * @param validations how many validations without improvement stop the run, 1 or more
     * @param delta the least change that counts as an improvement
     * @return this validation, stopping early
     */
    public Validation withEarlyStopping(Metric watched, int validations, double delta) {
        if (validations < 1) {
            throw new IllegalArgumentException("early stopping needs a patience of 1 validation or more, got "
                    + validations);
        }
        return new Validation(data, everyEpochs, watched, validations, delta);
    }

    /** @return the value of the watched metric that counts as better: negated loss, or accuracy */
    double score(Trainer.Evaluation evaluation) {
        return metric == Metric.LOSS ? -evaluation.loss() : evaluation.accuracy();
    }

    /** @return what decides the run's length, for its identity */
    String describe() {
        return String.format(Locale.ROOT, "validation(data=%s/%d, every=%d, stop=%s)", data.name(), data.size(),
                everyEpochs, patience == 0 ? "never" : metric.name().toLowerCase(Locale.ROOT) + "/" + patience + "/"
                        + minDelta);
    }
}
