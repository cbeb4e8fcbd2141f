package io.zbmd.ml.optim;

import io.zbmd.ml.tensor.Tensor;
import java.util.List;

/** Adam, and AdamW (decoupled weight decay), as PyTorch's {@code Adam} and {@code AdamW}. */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final boolean decoupled;
    private final List<Tensor[]> moments;
    /** Per parameter, as PyTorch: a parameter skipped (no gradient) does not advance. */
    private final long[] parameterSteps;

    /**
     * @param parameters what to update
     * @param lr learning rate
     * @param beta1 first-moment decay (0.9)
     * @param beta2 second-moment decay (0.999)
     * @param eps added to the denominator (1e-8)
     * @param weightDecay L2 penalty (Adam) or decoupled decay (AdamW)
     * @param decoupled true for AdamW
     */
    public Adam(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled) {
        super(parameters, lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(eps > 0) || weightDecay < 0) {
            throw new IllegalArgumentException("Adam eps must be positive and weight decay not negative, got " + eps
                    + " and " + weightDecay);
        }
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.eps = (float) eps;
        this.weightDecay = (float) weightDecay;
        this.decoupled = decoupled;
        this.moments = slots(parameters.size());
        this.parameterSteps = new long[parameters.size()];
    }

    /** @return Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8; no weight decay) */
    public static Adam adam(List<Tensor> parameters, double lr) {
        return new Adam(parameters, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** @return AdamW with PyTorch's defaults (weight decay 0.01) */
    public static Adam adamW(List<Tensor> parameters, double lr) {
        return new Adam(parameters, lr, 0.9, 0.999, 1e-8, 0.01, true);
    }

    @Override
    void update(int index, Tensor p, Tensor g, Tensor nextP, Tensor[] state, Tensor[] nextState) {
        backend.adamStep(p.numel(), (float) lr, beta1, beta2, eps, weightDecay, decoupled, parameterSteps[index] + 1,
                inOut(p, nextP), g.buffer(), g.offset(), inOut(state[0], nextState[0]), inOut(state[1], nextState[1]));
    }

    @Override
    void committed(int index) {
        parameterSteps[index]++;
    }

    @Override
    List<Tensor[]> stateSlots() {
        return moments;
    }

    @Override
    String[] stateNames() {
        return new String[] {"exp_avg", "exp_avg_sq"};
    }

    /** @return per parameter, the updates it has had (for checkpoints) */
    public long[] parameterSteps() {
        return parameterSteps.clone();
    }

    /** @param steps per parameter, the updates it has had (from a checkpoint) */
    public void parameterSteps(long[] steps) {
        if (steps.length != parameterSteps.length) {
            throw new IllegalArgumentException("checkpoint has Adam steps for " + steps.length + " parameters, this"
                    + " optimizer has " + parameterSteps.length);
        }
        System.arraycopy(steps, 0, parameterSteps, 0, steps.length);
    }
}
