package io.zbmd.ml.optim;

import io.zbmd.ml.tensor.Tensor;
import java.util.List;

/** Stochastic gradient descent with momentum, Nesterov momentum and weight decay, as PyTorch's {@code SGD}. */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final boolean nesterov;
    private final List<Tensor[]> velocity;

    /**
     * @param parameters what to update
     * @param lr learning rate
     * @param momentum 0 for none
     * @param weightDecay L2 penalty added to the gradient
     * @param nesterov Nesterov momentum (needs momentum)
     */
    public Sgd(List<Tensor> parameters, double lr, double momentum, double weightDecay, boolean nesterov) {
        super(parameters, lr);
        if (momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("SGD momentum and weight decay must not be negative, got " + momentum
                    + " and " + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov momentum needs a positive momentum");
        }
        this.momentum = (float) momentum;
        this.weightDecay = (float) weightDecay;
        this.nesterov = nesterov;
        this.velocity = slots(parameters.size());
    }

    @Override
    void update(int index, Tensor p, Tensor g, Tensor nextP, Tensor[] state, Tensor[] nextState) {
        backend.sgdStep(p.numel(), (float) lr, momentum, weightDecay, nesterov, inOut(p, nextP), g.buffer(),
                g.offset(), momentum == 0 ? null : inOut(state[0], nextState[0]));
    }

    @Override
    List<Tensor[]> stateSlots() {
        return velocity;
    }

    @Override
    String[] stateNames() {
        return momentum == 0 ? new String[0] : new String[] {"momentum_buffer"};
    }
}
