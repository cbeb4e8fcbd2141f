package io.zbmd.ml.optim;

import io.zbmd.ml.tensor.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * Makes a run's optimizer once the model's parameters exist: SGD, Adam or AdamW with any
 * hyper-parameters. Its {@link #description()} is recorded in the run's identity.
 */
public interface OptimizerFactory {

    /** @return the optimizer and its hyper-parameters, e.g. "adam(betas=0.9/0.999, eps=1e-08, weight_decay=0)" */
    String description();

    /**
     * @param parameters what to update
     * @param lr the initial learning rate (a schedule then sets it at every step)
     * @return a new optimizer
     */
    Optimizer create(List<Tensor> parameters, double lr);

    /** @return Adam with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8, no weight decay) */
    static OptimizerFactory adam() {
        return adam(0.9, 0.999, 1e-8, 0);
    }

    /** @return Adam with these hyper-parameters (weight decay as an L2 penalty, as PyTorch's {@code Adam}) */
    static OptimizerFactory adam(double beta1, double beta2, double eps, double weightDecay) {
        return adam("adam", beta1, beta2, eps, weightDecay, false);
    }

    /** @return AdamW with PyTorch's defaults (weight decay 0.01) */
    static OptimizerFactory adamW() {
        return adamW(0.9, 0.999, 1e-8, 0.01);
    }

    /** @return AdamW (decoupled weight decay) with these hyper-parameters */
    static OptimizerFactory adamW(double beta1, double beta2, double eps, double weightDecay) {
        return adam("adamw", beta1, beta2, eps, weightDecay, true);
    }

    /**
     * @param momentum 0 for plain SGD
     * @param weightDecay an L2 penalty, 0 for none
     * @param nesterov Nesterov momentum
     * @return SGD as PyTorch's {@code SGD}
     */
    static OptimizerFactory sgd(double momentum, double weightDecay, boolean nesterov) {
        check("sgd", momentum, weightDecay);
        String description = String.format(Locale.ROOT, "sgd(momentum=%s, weight_decay=%s, nesterov=%s)", momentum,
                weightDecay, nesterov);
        return named(description, (parameters, lr) -> new Sgd(parameters, lr, momentum, weightDecay, nesterov));
    }

    private static OptimizerFactory adam(String name, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled) {
        check(name, beta1, beta2, eps, weightDecay);
        String description = String.format(Locale.ROOT, "%s(betas=%s/%s, eps=%s, weight_decay=%s)", name, beta1, beta2,
                eps, weightDecay);
        return named(description,
                (parameters, lr) -> new Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled));
    }

    private static OptimizerFactory named(String description, BiFunction<List<Tensor>, Double, Optimizer> make) {
        return new OptimizerFactory() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Optimizer create(List<Tensor> parameters, double lr) {
                return make.apply(parameters, lr);
            }
        };
    }

    private static void check(String name, double... values) {
        for (double value : values) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException(name + "'s hyper-parameters must be finite, got " + value);
            }
        }
    }
}
