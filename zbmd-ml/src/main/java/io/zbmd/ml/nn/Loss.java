package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BinaryOperator;

/**
 * What training minimises: a function of the model's output and the batch's targets that
 * returns a scalar tensor, as PyTorch's {@code nn.CrossEntropyLoss}, {@code nn.MSELoss},
 * {@code nn.L1Loss} and {@code nn.BCEWithLogitsLoss} (all averaged over the batch), or any
 * function of one's own built from tensor operations:
 *
 * <pre>{@code
 * Loss huber = Loss.of("huber(delta=1)", (output, target) -> {
 *     Tensor error = output.sub(target).abs();
 *     Tensor small = error.square().mul(0.5f);
 *     ...
 * });
 * }</pre>
 *
 * <p>A loss is part of what decides a run's weights, so its {@link #description()} is recorded
 * in the run's identity: two losses with the same description must compute the same thing.
 */
public interface Loss {

    /** @return what it computes, with its parameters, e.g. "cross_entropy(label_smoothing=0.1)" */
    String description();

    /**
     * @param output the model's output for the batch
     * @param target the batch's targets as a tensor (int32 class indices, or float32 values)
     * @return the loss, a tensor of one element (shape {@code []})
     */
    Tensor compute(Tensor output, Tensor target);

    /**
     * @param description what it computes, recorded in the run's identity
     * @param function the loss
     * @return a loss
     */
    static Loss of(String description, BinaryOperator<Tensor> function) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(function, "function");
        return new Loss() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Tensor compute(Tensor output, Tensor target) {
                return function.apply(output, target);
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /**
     * @return a language model's loss: cross-entropy of next-token logits
     *     {@code [batch, time, vocabulary]} against token ids {@code [batch, time]}, averaged
     *     over every position (PyTorch's {@code cross_entropy(logits.view(-1, V), targets.view(-1))})
     */
    static Loss nextTokenCrossEntropy() {
        return of("next_token_cross_entropy", (output, target) -> {
            if (output.dim() != 3 || target.dim() != 2 || output.size(0) != target.size(0)
                    || output.size(1) != target.size(1)) {
                throw new IllegalArgumentException("next-token cross-entropy needs logits [batch, time, vocabulary] and"
                        + " targets [batch, time], got " + Arrays.toString(output.shape()) + " and "
                        + Arrays.toString(target.shape()));
            }
            int positions = output.size(0) * output.size(1);
            return F.crossEntropy(output.reshape(positions, output.size(2)), target.reshape(positions), 0f);
        });
    }

    /** @return cross-entropy of logits {@code [n, classes]} against int class indices {@code [n]} */
    static Loss crossEntropy() {
        return crossEntropy(0f);
    }

    /**
     * @param labelSmoothing in [0, 1): softens the one-hot targets
     * @return cross-entropy of logits {@code [n, classes]} against int class indices {@code [n]}
     */
    static Loss crossEntropy(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        return of(String.format(Locale.ROOT, "cross_entropy(label_smoothing=%s)", labelSmoothing),
                (output, target) -> F.crossEntropy(output, target, labelSmoothing));
    }

    /** @return the mean squared error between output and float targets of the same shape */
    static Loss mse() {
        return of("mse", F::mse);
    }

    /** @return the mean absolute error between output and float targets of the same shape */
    static Loss l1() {
        return of("l1", (output, target) -> sameShape("l1", output, target).sub(target).abs().mean());
    }

    /**
     * Binary cross-entropy of logits against float targets in [0, 1] of the same shape, in the
     * stable form {@code max(x, 0) - x·y + log(1 + exp(-|x|))}, averaged.
     *
     * @return the loss
     */
    static Loss binaryCrossEntropyWithLogits() {
        return of("bce_with_logits", (output, target) -> {
            sameShape("bce_with_logits", output, target);
            return output.relu().sub(output.mul(target)).add(output.abs().neg().exp().add(1f).log()).mean();
        });
    }

    private static Tensor sameShape(String loss, Tensor output, Tensor target) {
        if (!Arrays.equals(output.shape(), target.shape())) {
            throw new IllegalArgumentException(loss + " of output " + Arrays.toString(output.shape()) + " and target "
                    + Arrays.toString(target.shape()) + ": the shapes must be equal");
        }
        return output;
    }
}
