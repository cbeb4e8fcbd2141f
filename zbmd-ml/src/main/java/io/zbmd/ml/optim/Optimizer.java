package io.zbmd.ml.optim;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.InOut;
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
 *
 * <p>{@link #step()} is all or nothing: new parameters and state are computed into a second
 * set of buffers, which are exchanged with the first ({@link Tensor#exchangeMemory}) only
 * once every update has succeeded. An update interrupted by a device error or an
 * out-of-memory leaves the optimizer and its parameters exactly as they were, so the step
 * can be retried; the price is a second copy of parameters and state in memory, not a copy
 * per step (the kernels read one buffer and write the other, as much traffic as in place).
 */
public abstract class Optimizer implements AutoCloseable {
    final List<Tensor> parameters;
    final TensorScope stateScope;
    final Backend backend;
    double lr;
    long steps;
    /** Changes whenever a parameter's state tensors are made or replaced. */
    private long stateVersion;
    /** Per parameter, the buffer its next values are computed into (made at its first update). */
    private final Tensor[] nextParameters;
    /** Per parameter, the buffers its next state is computed into. */
    private final Tensor[][] nextState;
    /** Per parameter, zeroed state made for a first update that has not been committed yet. */
    private final Tensor[][] firstState;

    Optimizer(List<Tensor> parameters, double lr) {
        Objects.requireNonNull(parameters, "parameters must not be null");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter");
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        }
        this.parameters = List.copyOf(parameters);
        for (int i = 0; i < this.parameters.size(); i++) {
            if (!this.parameters.get(i).isWhole()) {
                throw new IllegalArgumentException("parameter " + i + " (" + this.parameters.get(i) + ") is a view"
                        + " into a larger tensor; an optimizer updates whole tensors (see Tensor.isWhole)");
            }
        }
        this.nextParameters = new Tensor[this.parameters.size()];
        this.nextState = new Tensor[this.parameters.size()][];
        this.firstState = new Tensor[this.parameters.size()][];
        this.backend = parameters.getFirst().backend();
        this.stateScope = TensorScope.create(backend);
        this.lr = lr;
    }

    /**
     * Applies one update to every parameter that has a gradient, all or nothing.
     *
     * @throws RuntimeException whatever a kernel threw (a device error, an out-of-memory);
     *     the parameters, state and counts are then as before the call
     */
    public final void step() {
        List<Tensor[]> slots = stateSlots();
        int count = parameters.size();
        boolean[] updated = new boolean[count];
        for (int i = 0; i < count; i++) {
            Tensor p = parameters.get(i);
            if (p.grad() == null) {
                continue;
            }
            Tensor[] state = slots.get(i);
            if (state == null) {
                if (firstState[i] == null) {
                    firstState[i] = zeroState(p);
                }
                state = firstState[i];
            }
            if (nextParameters[i] == null) {
                nextParameters[i] = zerosLike(p);
            }
            if (nextState[i] == null) {
                nextState[i] = zeroState(p);
            }
            update(i, p, p.grad(), nextParameters[i], state, nextState[i]);
            updated[i] = true;
        }
        // Every update succeeded: commit (nothing below can fail).
        steps++;
        for (int i = 0; i < count; i++) {
            if (!updated[i]) {
                continue;
            }
            parameters.get(i).exchangeMemory(nextParameters[i]);
            if (slots.get(i) == null) {
                slots.set(i, firstState[i]);
                firstState[i] = null;
                stateVersion++;
            }
            Tensor[] state = slots.get(i);
            for (int j = 0; j < state.length; j++) {
                state[j].exchangeMemory(nextState[i][j]);
            }
            committed(i);
        }
    }

    /**
     * Computes one parameter's update from {@code parameter}, {@code gradient} and
     * {@code state} into {@code nextParameter} and {@code nextState}, changing nothing else.
     */
    abstract void update(int index, Tensor parameter, Tensor gradient, Tensor nextParameter, Tensor[] state,
            Tensor[] nextState);

    /** Called for each updated parameter once the whole step has been committed. */
    void committed(int index) {}

    private Tensor[] zeroState(Tensor parameter) {
        Tensor[] state = new Tensor[stateNames().length];
        for (int j = 0; j < state.length; j++) {
            state[j] = zerosLike(parameter);
        }
        return state;
    }

    /** @return where an update reads {@code now} and writes {@code next} */
    static InOut inOut(Tensor now, Tensor next) {
        return new InOut(now.buffer(), now.offset(), next.buffer(), next.offset());
    }

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

    /**
     * @return a number that changes whenever the set of {@link #state()} tensors changes (a
     *     parameter's first update, {@link #loadState}); their values change at every step
     *     without changing it
     */
    public final long stateVersion() {
        return stateVersion;
    }

    /** @return updates applied */
    public final long steps() {
        return steps;
    }

    /**
     * @return the per-parameter state tensors, named {@code <parameter index>.<slot>} as in
     *     PyTorch's optimizer {@code state_dict} ({@code 0.exp_avg}); a parameter that has not
     *     been updated yet has none
     */
    public final Map<String, Tensor> state() {
        return named(stateSlots(), stateNames());
    }

    /**
     * Replaces the state with values saved from {@link #state()} (a checkpoint's), in place:
     * afterwards this optimizer updates exactly as the one that was saved. A parameter with no
     * entries goes back to having no state (as before its first update). Everything is checked
     * before anything changes.
     *
     * @param values by {@link #state()}'s names, each row-major with its parameter's size
     * @throws IllegalArgumentException naming the entry, if a name is not one of this
     *     optimizer's, a parameter has some of its slots but not all, or a size differs
     */
    public final void loadState(Map<String, float[]> values) {
        Objects.requireNonNull(values, "values");
        List<String> names = List.of(stateNames());
        float[][][] loaded = new float[parameters.size()][][];
        for (Map.Entry<String, float[]> entry : values.entrySet()) {
            String key = entry.getKey();
            int dot = key.indexOf('.');
            int index = dot > 0 ? parseIndex(key.substring(0, dot)) : -1;
            int slot = dot > 0 ? names.indexOf(key.substring(dot + 1)) : -1;
            if (index < 0 || slot < 0) {
                throw new IllegalArgumentException("optimizer state '" + key + "' is not one of "
                        + getClass().getSimpleName() + "'s: expected <parameter 0 to " + (parameters.size() - 1)
                        + ">.<" + String.join("|", names) + ">");
            }
            long expected = parameters.get(index).numel();
            if (entry.getValue().length != expected) {
                throw new IllegalArgumentException("optimizer state '" + key + "' has " + entry.getValue().length
                        + " values; parameter " + index + " has " + expected);
            }
            if (loaded[index] == null) {
                loaded[index] = new float[names.size()][];
            }
            loaded[index][slot] = entry.getValue();
        }
        for (int i = 0; i < loaded.length; i++) {
            if (loaded[i] != null) {
                for (int j = 0; j < names.size(); j++) {
                    if (loaded[i][j] == null) {
                        throw new IllegalArgumentException("optimizer state for parameter " + i + " lacks '" + i + "."
                                + names.get(j) + "' (it needs all of " + names + ")");
                    }
                }
            }
        }
        List<Tensor[]> slots = stateSlots();
        stateVersion++;
        for (int i = 0; i < loaded.length; i++) {
            if (loaded[i] == null) {
                slots.set(i, null); // its tensors, if any, stay in the state scope until close()
                continue;
            }
            Tensor[] tensors = slots.get(i);
            if (tensors == null) {
                tensors = new Tensor[names.size()];
                slots.set(i, tensors);
            }
            for (int j = 0; j < names.size(); j++) {
                if (tensors[j] == null) {
                    tensors[j] = zerosLike(parameters.get(i));
                }
                tensors[j].copyFrom(loaded[i][j]);
            }
        }
    }

    private int parseIndex(String text) {
        try {
            int index = Integer.parseInt(text);
            return index >= 0 && index < parameters.size() && text.equals(Integer.toString(index)) ? index : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The per-parameter state, one array of {@link #stateNames()}' length per parameter or null. */
    abstract List<Tensor[]> stateSlots();

    /** The names of a parameter's state tensors, as PyTorch names them. */
    abstract String[] stateNames();


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
