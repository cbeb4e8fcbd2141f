package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A layer or a model: parameters, buffers (state that is not trained, such as batch-norm
 * running statistics), child modules, and {@link #forward}. Names follow PyTorch, so that
 * checkpoints can be exchanged: a child's parameters are prefixed with its name
 * ({@code 0.weight}, {@code encoder.1.bias}), a linear layer's weight is {@code [out, in]}.
 *
 * <p>Parameters are made in the {@link io.zbmd.ml.tensor.TensorScope} current when the module
 * is built, and live as long as it. Not thread-safe: a model belongs to one actor.
 */
public abstract class Module {
    /** Bound while a thread evaluates (see {@link #evaluating}). */
    private static final ScopedValue<Boolean> EVALUATING = ScopedValue.newInstance();
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Runs the module. */
    public abstract Tensor forward(Tensor input);

    /** Registers a parameter (marks it as requiring a gradient). */
    protected final Tensor parameter(String name, Tensor value) {
        Objects.requireNonNull(value, "parameter " + name + " must not be null");
        checkName(name);
        parameters.put(name, value.requiresGrad(true));
        return value;
    }

    /** Registers a buffer (saved in the state, not trained). */
    protected final Tensor buffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, Objects.requireNonNull(value, "buffer " + name + " must not be null"));
        return value;
    }

    /** Registers a child module. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, Objects.requireNonNull(module, "module " + name + " must not be null"));
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a module member name must be non-empty without dots, got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** @return every parameter, named as PyTorch would, in registration order */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all, true);
        return Collections.unmodifiableMap(all);
    }

    /** @return every parameter, in registration order */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** @return parameters and buffers together, named as PyTorch's {@code state_dict()} */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all, false);
        return Collections.unmodifiableMap(all);
    }

    private void collect(String prefix, Map<String, Tensor> into, boolean parametersOnly) {
        parameters.forEach((name, tensor) -> into.put(prefix + name, tensor));
        if (!parametersOnly) {
            buffers.forEach((name, tensor) -> into.put(prefix + name, tensor));
        }
        children.forEach((name, module) -> module.collect(prefix + name + ".", into, parametersOnly));
    }

    /**
     * @return this module (under the name "") and every descendant, named by their path
     *     ({@code 0}, {@code encoder.1}), depth first in registration order, as PyTorch's
     *     {@code named_modules()}
     */
    public final Map<String, Module> namedModules() {
        Map<String, Module> all = new LinkedHashMap<>();
        collectModules("", all);
        return Collections.unmodifiableMap(all);
    }

    private void collectModules(String path, Map<String, Module> into) {
        into.put(path, this);
        children.forEach((name, module) -> module.collectModules(path.isEmpty() ? name : path + "." + name, into));
    }

    /**
     * The settings a module's tensors do not show (a stride, a dropout probability), as
     * PyTorch's {@code extra_repr()}: part of {@link #structure()}, and so of a training run's
     * identity. A module of one's own with such settings overrides this.
     *
     * @return e.g. "p=0.2, seed=7"; empty by default
     */
    protected String settings() {
        return "";
    }

    /**
     * @return every module by path with its type and settings, then every state-dict tensor with
     *     its shape, e.g. {@code "=Sequential();0=Linear();1=ReLU() | 0.weight[256, 784];..."}:
     *     two models with the same structure differ only in their values
     */
    public final String structure() {
        StringBuilder text = new StringBuilder();
        namedModules().forEach((path, module) -> text.append(text.isEmpty() ? "" : ";").append(path).append('=')
                .append(module.getClass().getSimpleName()).append('(').append(module.settings()).append(')'));
        text.append(" |");
        stateDict().forEach((name, tensor) -> text.append(' ').append(name)
                .append(Arrays.toString(tensor.shape())));
        return text.toString();
    }

    /** @return the number of trainable values */
    public final long parameterCount() {
        long total = 0;
        for (Tensor p : parameters()) {
            total += p.numel();
        }
        return total;
    }

    /** Sets training or evaluation mode (dropout, batch norm), here and in every child. */
    public final Module train(boolean value) {
        training = value;
        children.values().forEach(child -> child.train(value));
        return this;
    }

    /**
     * @return whether in training mode: set by {@link #train(boolean)}, and false on a thread
     *     inside {@link #evaluating}
     */
    public final boolean isTraining() {
        return training && !EVALUATING.isBound();
    }

    /**
     * Runs {@code op} with every module in evaluation mode on this thread only (dropout off,
     * batch norm on its running statistics), leaving the modules' own mode as it is: an
     * evaluation or a prediction does not flip a flag that a training run on another thread
     * reads.
     *
     * @param op what to run
     * @return what it returns
     * @throws X what it throws
     */
    public static <T, X extends Throwable> T evaluating(ScopedValue.CallableOp<T, X> op) throws X {
        return ScopedValue.where(EVALUATING, Boolean.TRUE).call(op);
    }

    /** Zeroes every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }
}
