package io.zbmd.gpu.internal;

import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import java.util.Objects;

/**
 * The argument checks and kernel constants every device backend needs before it queues a
 * kernel: whose memory a buffer is, whether the sizes of a matrix product hold together, whether
 * labels and indices are in range, and the geometries as the integers the kernels read. Not
 * exported: the backends of this module share it; users see their precise exceptions.
 */
public final class KernelArguments {
    private KernelArguments() {}

    /**
     * @param buffer an argument
     * @param pool the pool of the backend it is passed to
     * @param device that backend's device, for the message
     * @param what the argument, for the message
     * @return the buffer, once it is known to be memory of that backend
     * @throws IllegalArgumentException if it belongs to another device
     */
    public static DeviceBuffer own(DeviceBuffer buffer, MemoryPool pool, Device device, String what) {
        Objects.requireNonNull(buffer, () -> what + " must not be null");
        if (buffer.pool() != pool) {
            throw new IllegalArgumentException(what + " is " + buffer + ", memory of another device; this is "
                    + device.name() + ": copy it through the host (download, upload)");
        }
        return buffer;
    }

    /** @return the number of elements of a view of this shape */
    public static long count(int[] shape) {
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        return count;
    }

    /** @return rank, shape, then each operand's strides: a view for the strided kernels */
    public static long[] viewConstants(int[] shape, long[]... strides) {
        int rank = shape.length;
        long[] values = new long[1 + rank * (1 + strides.length)];
        values[0] = rank;
        for (int d = 0; d < rank; d++) {
            values[1 + d] = shape[d];
            for (int s = 0; s < strides.length; s++) {
                values[1 + (s + 1) * rank + d] = strides[s][d];
            }
        }
        return values;
    }

    /**
     * For a reduction: the dense row-major strides of the dimensions it keeps (those where the
     * output's stride is not 0), 0 for the dimensions it sums over.
     */
    public static long[] keptStrides(int[] shape, long[] outStrides) {
        long[] dense = new long[shape.length];
        long size = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (outStrides[d] != 0) {
                dense[d] = size;
                size *= shape[d];
            }
        }
        return dense;
    }

    /** @return the number of outputs of a reduction: the product of the kept dimensions */
    public static long keptCount(int[] shape, long[] outStrides) {
        long size = 1;
        for (int d = 0; d < shape.length; d++) {
            if (outStrides[d] != 0) {
                size *= shape[d];
            }
        }
        return size;
    }

    /**
     * Checks the sizes of {@code C = op(A) · op(B)}.
     *
     * @return the elements each matrix spans from its offset: A's, B's, C's
     * @throws IllegalArgumentException for a negative size or a leading dimension shorter than
     *     its matrix's rows
     */
    public static long[] sgemmExtents(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb,
            int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm sizes must not be negative: m=" + m + " n=" + n + " k=" + k);
        }
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        checkLeading("A", aCols, lda);
        checkLeading("B", bCols, ldb);
        checkLeading("C", n, ldc);
        return new long[] {extent(aRows, aCols, lda), extent(bRows, bCols, ldb), extent(m, n, ldc)};
    }

    private static long extent(int rows, int cols, int leading) {
        return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * leading + cols;
    }

    private static void checkLeading(String matrix, int columns, int leading) {
        if (leading < Math.max(1, columns)) {
            throw new IllegalArgumentException("sgemm: leading dimension of " + matrix + " is " + leading
                    + ", less than its " + columns + " columns");
        }
    }

    /**
     * Checks that a conversion's elements fit both buffers.
     *
     * @throws IllegalArgumentException if they do not, or a negative offset or count
     */
    public static void checkConvert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst,
            long dstOffset, long count) {
        if (srcOffset < 0 || dstOffset < 0 || count < 0 || (srcOffset + count) * from.bytes() > src.bytes()
                || (dstOffset + count) * to.bytes() > dst.bytes()) {
            throw new IllegalArgumentException("convert: " + count + " elements from " + srcOffset + " (" + from
                    + ") to " + dstOffset + " (" + to + ") do not fit buffers of " + src.bytes() + " and "
                    + dst.bytes() + " bytes");
        }
        if (from != to && from != DType.F32 && to != DType.F32) {
            throw new IllegalArgumentException("convert " + from + " to " + to + " through F32");
        }
    }

    /**
     * @param labels class labels, one per row
     * @param classes the number of classes
     * @throws IllegalArgumentException naming the first label outside {@code [0, classes)}
     */
    public static void checkLabels(int[] labels, int classes) {
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] < 0 || labels[r] >= classes) {
                throw new IllegalArgumentException("label " + labels[r] + " in row " + r + " is outside the "
                        + classes + " classes");
            }
        }
    }

    /**
     * @param indices embedding indices
     * @param rows the rows of the table
     * @throws IllegalArgumentException naming the first index outside the table
     */
    public static void checkIndices(int[] indices, long rows) {
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= rows) {
                throw new IllegalArgumentException("embedding index " + indices[i] + " at position " + i
                        + " is outside the table of " + rows + " rows");
            }
        }
    }

    /**
     * @return channels, height, width, kernel height and width, strides, paddings, output height
     *     and width: the convolution kernels' geometry
     */
    public static int[] geometry(ConvGeometry g) {
        return new int[] {g.channels(), g.height(), g.width(), g.kernelHeight(), g.kernelWidth(), g.strideHeight(),
            g.strideWidth(), g.padHeight(), g.padWidth(), g.outHeight(), g.outWidth()};
    }

    /**
     * @return height, width, kernel height and width, strides, paddings, output height and width:
     *     the pooling kernels' geometry
     */
    public static int[] geometry(PoolGeometry g) {
        return new int[] {g.height(), g.width(), g.kernelHeight(), g.kernelWidth(), g.strideHeight(), g.strideWidth(),
            g.padHeight(), g.padWidth(), g.outHeight(), g.outWidth()};
    }
}
