package io.zbmd.ml.tensor;

import java.util.Arrays;

/** Shape arithmetic: sizes, row-major strides, NumPy broadcasting, with errors that show both shapes. */
public final class Shape {
    private Shape() {}

    /** @return the number of elements of a shape */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** @return the row-major (contiguous) strides of a shape */
    public static long[] contiguousStrides(int[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /**
     * NumPy broadcasting: shapes are aligned on the right, and each pair of sizes must be
     * equal or one of them 1.
     *
     * @return the broadcast shape
     * @throws IllegalArgumentException naming both shapes when they do not broadcast
     */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + str(a) + " and " + str(b)
                        + " do not broadcast: dimension " + i + " is " + da + " vs " + db);
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /**
     * The strides that read a tensor of {@code shape} with {@code strides} as if it had the
     * (larger) broadcast shape {@code target}: 0 on broadcast dimensions.
     */
    public static long[] broadcastStrides(int[] shape, long[] strides, int[] target) {
        long[] out = new long[target.length];
        int shift = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            int d = i - shift;
            out[i] = d < 0 || shape[d] == 1 ? 0 : strides[d];
        }
        return out;
    }

    /** @return a dimension index, counting negative ones from the end */
    public static int normalize(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("dimension " + dim + " is out of range for a tensor of rank " + rank);
        }
        return d;
    }

    /** @return "[2, 3]" */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Checks a shape for a new tensor: every size positive. */
    static int[] checked(int[] shape) {
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor sizes must be positive, got shape " + str(shape));
            }
        }
        return shape.clone();
    }
}
