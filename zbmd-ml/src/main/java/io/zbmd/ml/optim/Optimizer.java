package io.zbmd.ml.optim;

import io.zbmd.gpu.Backend;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Updates parameters from their gradients. State (moments, velocities) is kept per
 * parameter in a scope of the optimizer's own, and exposed with {@link #state()} for
 * checkpoints. A parameter without a gradient (not reached by the last backward pass) is
 * skipped. Not thread-safe.
 */
public abstract class Optimizer implements AutoCloseable {
    final List<Tensor> parameters;
    final TensorScope stateScope;
    final Backend backend;
    double lr;
    long steps;

    Optimizer(List<Tensor> parameters, double lr) {
        Objects.requireNonNull(parameters, "parameters must not be null");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter");
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        }
        this.parameters = List.copyOf(parameters);
        this.backend = parameters.getFirst().backend();
        this.stateScope = TensorScope.create(backend);
        this.lr = lr;
    }

    /** Applies one update to every parameter that has a gradient. */
    public final void step() {
        steps++;
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            if (p.grad() != null) {
                update(i, p, p.grad());
            }
        }
    }

    abstract void update(int index, Tensor parameter, Tensor gradient);

    /** Zeroes every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor p : parameters) {
            p.zeroGrad();
        }
    }

    /** @return the learning rate */
    public final double lr() {
        return lr;
    }

    /** @param value the learning rate from now on (for schedules) */
    public final void lr(double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException("learning rate must not be negative, got " + value);
        }
        lr = value;
    }

    /** @return updates applied */
    public final long steps() {
        return steps;
    }

    /**
     * @return the optimizer's tensors by name ({@code <parameter index>.<state name>}), live:
     *     for saving and restoring checkpoints
     */
    public abstract Map<String, Tensor> state();

    /** @param value updates applied (from a checkpoint) */
    public final void steps(long value) {
        steps = value;
    }

    /** A zeroed state tensor shaped like a parameter, in the optimizer's scope. */
    final Tensor zerosLike(Tensor parameter) {
        try (var ignored = stateScope.enter()) {
            return io.zbmd.ml.tensor.Tensors.zeros(parameter.shape());
        }
    }

    static Map<String, Tensor> named(List<Tensor[]> perParameter, String... names) {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (int i = 0; i < perParameter.size(); i++) {
            Tensor[] tensors = perParameter.get(i);
            for (int j = 0; j < names.length; j++) {
                if (tensors != null && tensors[j] != null) {
                    all.put(i + "." + names[j], tensors[j]);
                }
            }
        }
        return all;
    }

    static List<Tensor[]> slots(int count) {
        List<Tensor[]> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(null);
        }
        return list;
    }

    /** Releases the optimizer's state. */
    @Override
    public void close() {
        stateScope.close();
    }
}
