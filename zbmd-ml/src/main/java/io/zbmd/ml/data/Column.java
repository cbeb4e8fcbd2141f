package io.zbmd.ml.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Examples stacked along the first dimension, as plain arrays: the inputs or the targets of a
 * {@link Batch}, or a whole in-memory {@link Dataset}'s. A column of {@code n} examples of
 * shape {@code [d1, ..., dk]} has shape {@code [n, d1, ..., dk]} and holds its values
 * row-major: example {@code i} is the {@link #width()} values from {@code i * width()}.
 *
 * <p>Two element types, as the tensors they become: float (features, regression targets,
 * one-hot targets) and int (class indices, token ids). The arrays are not copied; whoever
 * builds a column hands it its arrays. Records compare arrays by reference.
 */
public sealed interface Column permits Column.Floats, Column.Ints {

    /** @return {@code [examples, ...example shape]} (a copy) */
    int[] shape();

    /** @return how many examples, the first dimension */
    default int examples() {
        return shape()[0];
    }

    /** @return values per example: the product of every dimension but the first */
    int width();

    /** @return a new column of the given examples, in that order */
    Column gather(int[] examples);

    /** @return the examples {@code from} (inclusive) to {@code to} (exclusive), copied */
    Column range(int from, int to);

    /** @return "float32[n, 2]" or "int32[n]" */
    String describe();

    /**
     * @param values row-major, as many as the shape's product
     * @param shape {@code [examples, ...]}, at least one dimension, none negative
     * @return the column
     */
    static Floats floats(float[] values, int... shape) {
        return new Floats(values, shape);
    }

    /**
     * @param values row-major, as many as the shape's product
     * @param shape {@code [examples, ...]}, at least one dimension, none negative
     * @return the column
     */
    static Ints ints(int[] values, int... shape) {
        return new Ints(values, shape);
    }

    /**
     * Float values.
     *
     * @param values row-major
     * @param shape {@code [examples, ...]}
     */
    record Floats(float[] values, int[] shape) implements Column {
        /** Checks that the values fill the shape; copies the shape. */
        public Floats {
            Objects.requireNonNull(values, "values");
            shape = checkedShape(shape, values.length);
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public int width() {
            return widthOf(shape);
        }

        @Override
        public Floats gather(int[] examples) {
            float[] out = new float[examples.length * width()];
            gatherRows(values, shape, examples, out);
            return new Floats(out, withExamples(shape, examples.length));
        }

        @Override
        public Floats range(int from, int to) {
            Objects.checkFromToIndex(from, to, shape[0]);
            int width = width();
            return new Floats(Arrays.copyOfRange(values, from * width, to * width), withExamples(shape, to - from));
        }

        @Override
        public String describe() {
            return "float32" + Arrays.toString(shape);
        }
    }

    /**
     * Int values.
     *
     * @param values row-major
     * @param shape {@code [examples, ...]}
     */
    record Ints(int[] values, int[] shape) implements Column {
        /** Checks that the values fill the shape; copies the shape. */
        public Ints {
            Objects.requireNonNull(values, "values");
            shape = checkedShape(shape, values.length);
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public int width() {
            return widthOf(shape);
        }

        @Override
        public Ints gather(int[] examples) {
            int[] out = new int[examples.length * width()];
            gatherRows(values, shape, examples, out);
            return new Ints(out, withExamples(shape, examples.length));
        }

        @Override
        public Ints range(int from, int to) {
            Objects.checkFromToIndex(from, to, shape[0]);
            int width = width();
            return new Ints(Arrays.copyOfRange(values, from * width, to * width), withExamples(shape, to - from));
        }

        @Override
        public String describe() {
            return "int32" + Arrays.toString(shape);
        }
    }

    private static int[] checkedShape(int[] shape, int length) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length == 0) {
            throw new IllegalArgumentException("a column's shape needs at least the examples' dimension");
        }
        long product = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            product *= d;
            if (product > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds more than "
                        + Integer.MAX_VALUE + " values");
            }
        }
        if (product != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + product
                    + " values; the array has " + length);
        }
        return shape.clone();
    }

    /** Copies the rows {@code examples} of {@code values} (an array of shape {@code shape}) into {@code out}. */
    private static void gatherRows(Object values, int[] shape, int[] examples, Object out) {
        int width = widthOf(shape);
        for (int k = 0; k < examples.length; k++) {
            System.arraycopy(values, Objects.checkIndex(examples[k], shape[0]) * width, out, k * width, width);
        }
    }

    private static int widthOf(int[] shape) {
        int width = 1;
        for (int d = 1; d < shape.length; d++) {
            width *= shape[d];
        }
        return width;
    }

    private static int[] withExamples(int[] shape, int examples) {
        int[] out = shape.clone();
        out[0] = examples;
        return out;
    }
}
