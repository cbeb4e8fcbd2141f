package io.zbmd.ml.tensor;

import io.zbmd.gpu.DType;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Making tensors, in the current {@link TensorScope}: from values, zeros, ones, constants,
 * and seeded random ones (the same seed gives the same tensor on every run).
 */
public final class Tensors {
    private Tensors() {}

    /**
     * @param values row-major, as many as the shape holds
     * @param shape the sizes
     * @return a float32 tensor with those values
     */
    public static Tensor of(float[] values, int... shape) {
        Objects.requireNonNull(values, "values must not be null");
        Tensor t = Tensor.empty(shape);
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape "
                    + Shape.str(shape) + " (" + t.numel() + " elements)");
        }
        t.backend().upload(values, 0, t.buffer(), 0, values.length);
        return t;
    }

    /**
     * @param values row-major class indices or other integers
     * @param shape the sizes
     * @return an int32 tensor
     */
    public static Tensor ofInts(int[] values, int... shape) {
        Objects.requireNonNull(values, "values must not be null");
        Tensor t = Tensor.empty(shape, DType.I32);
        if (values.length != t.numel()) {
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape "
                    + Shape.str(shape) + " (" + t.numel() + " elements)");
        }
        t.backend().uploadInts(values, 0, t.buffer(), 0, values.length);
        return t;
    }

    /** @return a tensor of zeros */
    public static Tensor zeros(int... shape) {
        return full(0f, shape);
    }

    /** @return a tensor of ones */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** @return a tensor filled with {@code value} */
    public static Tensor full(float value, int... shape) {
        Tensor t = Tensor.empty(shape);
        t.backend().fill(t.buffer(), 0, t.numel(), value);
        return t;
    }

    /** @return a one-element tensor of shape [] */
    public static Tensor scalar(float value) {
        return Ops.scalar(value);
    }

    /** @return standard normal values drawn from {@code random} (Box–Muller) */
    public static Tensor randn(SplittableRandom random, int... shape) {
        return normal(random, 1.0, shape);
    }

    /** @return normal values of mean 0 and standard deviation {@code std} drawn from {@code random} (Box–Muller) */
    public static Tensor normal(SplittableRandom random, double std, int... shape) {
        float[] values = new float[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < values.length; i += 2) {
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            double radius = Math.sqrt(-2.0 * Math.log(u1)) * std;
            values[i] = (float) (radius * Math.cos(2 * Math.PI * u2));
            if (i + 1 < values.length) {
                values[i + 1] = (float) (radius * Math.sin(2 * Math.PI * u2));
            }
        }
        return of(values, shape);
    }

    /** @return values uniform in [low, high) drawn from {@code random} */
    public static Tensor uniform(SplittableRandom random, float low, float high, int... shape) {
        float[] values = new float[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return of(values, shape);
    }
}
