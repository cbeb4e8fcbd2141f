package io.zbmd.ml.checkpoint;

import io.zbmd.ml.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a tensor is, without its values: element type and shape. A checkpoint fits a model
 * when every tensor has the same spec on both sides (see
 * {@link Checkpoint#verifyCompatible(Map)}).
 *
 * <p>Shapes are row-major sizes as PyTorch writes them (a linear layer's weight is
 * {@code [out, in]}); {@code []} is a scalar of one element, and a size of 0 makes an empty
 * tensor. Immutable (the shape is copied in and out), so thread-safe.
 *
 * @param dtype the element type
 * @param shape the sizes, each 0 or more
 */
public record TensorSpec(SafetensorsDType dtype, int[] shape) {
    /** The most dimensions a tensor may have (PyTorch's own limit is 64 too). */
    public static final int DIMENSIONS_MAX = 64;

    /**
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a size is negative, there are more than
     *     {@link #DIMENSIONS_MAX} sizes, or the byte count overflows 64 bits
     */
    public TensorSpec {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        shape = shape.clone();
        if (shape.length > DIMENSIONS_MAX) {
            throw new IllegalArgumentException("shape has " + shape.length + " dimensions; expected at most "
                    + DIMENSIONS_MAX);
        }
        long elements = 1;
        for (int size : shape) {
            if (size < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative size");
            }
            elements = Math.multiplyExact(elements, size);
        }
        Math.multiplyExact(elements, dtype.bytes()); // the byte count must fit in a long
    }

    /**
     * @param dtype the element type
     * @param shape the sizes
     * @return the spec
     */
    public static TensorSpec of(SafetensorsDType dtype, int... shape) {
        return new TensorSpec(dtype, shape);
    }

    /**
     * @param tensor a zbmd tensor
     * @return its type and shape, as a checkpoint would store it
     */
    public static TensorSpec of(Tensor tensor) {
        return new TensorSpec(SafetensorsDType.of(tensor.dtype()), tensor.shape());
    }

    /**
     * The specs of a model's tensors, for {@link Checkpoint#verifyCompatible(Map)}:
     * {@code TensorSpec.ofAll(model.stateDict())}.
     *
     * @param tensors tensors by name
     * @return their specs by the same names, in the same order
     */
    public static Map<String, TensorSpec> ofAll(Map<String, Tensor> tensors) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> specs.put(name, of(tensor)));
        return Collections.unmodifiableMap(specs);
    }

    /** @return the sizes, a copy */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** @return the number of dimensions */
    public int rank() {
        return shape.length;
    }

    /** @return the number of elements: the product of the sizes, 1 for a scalar */
    public long elementCount() {
        long elements = 1;
        for (int size : shape) {
            elements *= size; // cannot overflow: checked at construction
        }
        return elements;
    }

    /** @return the bytes the elements take: {@link #elementCount()} × {@code dtype().bytes()} */
    public long byteCount() {
        return elementCount() * dtype.bytes();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorSpec that && dtype == that.dtype && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    /** @return e.g. "F32 [128, 784]" */
    @Override
    public String toString() {
        return dtype + " " + Arrays.toString(shape);
    }
}
