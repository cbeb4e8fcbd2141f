package io.zbmd.ml.data;

import java.util.Objects;

/**
 * A {@link Dataset} held in memory as two columns: a classifier's float features and int
 * labels, a regression's float features and float targets, token ids and their next tokens.
 *
 * <pre>{@code
 * Dataset spirals = ArrayDataset.of("two-spirals", Column.floats(xy, n, 2), Column.ints(labels, n));
 * Dataset curve = ArrayDataset.of("sine", Column.floats(x, n, 1), Column.floats(y, n, 1));
 * }</pre>
 *
 * <p>Immutable (it copies the arrays it is given), so thread-safe.
 */
public final class ArrayDataset implements Dataset {
    private final String name;
    private final Column inputs;
    private final Column targets;

    private ArrayDataset(String name, Column inputs, Column targets) {
        this.name = name;
        this.inputs = inputs;
        this.targets = targets;
    }

    /**
     * @param name what to call it in messages and in a run's identity
     * @param inputs every example's inputs, {@code [size, ...]}
     * @param targets every example's targets, {@code [size, ...]}
     * @return a dataset of copies of the columns
     * @throws IllegalArgumentException if the columns hold different numbers of examples
     */
    public static ArrayDataset of(String name, Column inputs, Column targets) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(inputs, "inputs");
        Objects.requireNonNull(targets, "targets");
        if (inputs.examples() != targets.examples()) {
            throw new IllegalArgumentException("dataset " + name + ": inputs " + inputs.describe() + " and targets "
                    + targets.describe() + " must hold as many examples");
        }
        return new ArrayDataset(name, inputs.range(0, inputs.examples()), targets.range(0, targets.examples()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return inputs.examples();
    }

    @Override
    public Column inputs(int[] examples) {
        return inputs.gather(examples);
    }

    @Override
    public Column targets(int[] examples) {
        return targets.gather(examples);
    }

    /**
     * @param count how many examples to keep, 0 to {@link #size()}
     * @return the first {@code count} examples, named e.g. "two-spirals[:100]"
     */
    public ArrayDataset first(int count) {
        if (count < 0 || count > size()) {
            throw new IllegalArgumentException("count must be 0 to " + size() + " (the size of " + name + "), was "
                    + count);
        }
        return new ArrayDataset(name + "[:" + count + "]", inputs.range(0, count), targets.range(0, count));
    }

    /** @return e.g. "ArrayDataset[two-spirals: inputs float32[400, 2], targets int32[400]]" */
    @Override
    public String toString() {
        return "ArrayDataset[" + name + ": inputs " + inputs.describe() + ", targets " + targets.describe() + "]";
    }
}
