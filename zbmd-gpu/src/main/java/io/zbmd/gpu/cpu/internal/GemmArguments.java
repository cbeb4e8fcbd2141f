package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The argument checks every {@link io.zbmd.gpu.cpu.GemmKernel} makes before it touches memory,
 * so that the Java kernel and the native one refuse the same calls with the same messages.
 * A native BLAS would otherwise read or write out of bounds, or call {@code xerbla} and print
 * to stderr.
 *
 * <p>Stateless and thread-safe.
 */
public final class GemmArguments {
    private GemmArguments() {}

    /**
     * Checks the arguments of {@link io.zbmd.gpu.cpu.GemmKernel#sgemm}. Leading dimensions must
     * be at least the stored row length and at least 1, as BLAS requires for row-major
     * matrices, even when a matrix is empty; every element a call may read or write must lie
     * in its segment.
     *
     * @throws IllegalArgumentException naming the first bad argument and its value
     * @throws NullPointerException if a segment is null
     */
    public static void check(boolean transA, boolean transB, int m, int n, int k,
            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
            MemorySegment c, long cOffset, int ldc) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        Objects.requireNonNull(c, "c");
        nonNegative("m", m);
        nonNegative("n", n);
        nonNegative("k", k);
        // Stored shapes: op(A) is m × k, so A itself is k × m when transposed; likewise B.
        matrix("a", a, aOffset, "lda", lda, transA ? k : m, transA ? m : k);
        matrix("b", b, bOffset, "ldb", ldb, transB ? n : k, transB ? k : n);
        matrix("c", c, cOffset, "ldc", ldc, m, n);
        if (c.isReadOnly() && m > 0 && n > 0) {
            throw new IllegalArgumentException("c is a read-only segment; C is written");
        }
    }

    private static void nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " = " + value + " is negative");
        }
    }

    private static void matrix(String name, MemorySegment segment, long offsetFloats, String ldName, int ldFloats,
            int rows, int columns) {
        if (offsetFloats < 0) {
            throw new IllegalArgumentException(name + "Offset = " + offsetFloats + " is negative");
        }
        if (ldFloats < Math.max(1, columns)) {
            throw new IllegalArgumentException(ldName + " = " + ldFloats + " is smaller than max(1, " + columns
                    + "), the length of a stored row of " + name.toUpperCase(java.util.Locale.ROOT)
                    + " (" + rows + " × " + columns + ", row-major)");
        }
        if (rows == 0 || columns == 0) {
            return; // nothing is read or written
        }
        // The last element touched is (rows - 1, columns - 1). The span cannot overflow (its
        // factors are ints), and comparing offset with size - span cannot either, whatever
        // the offset.
        long spanFloats = (long) (rows - 1) * ldFloats + columns;
        long sizeFloats = segment.byteSize() / Float.BYTES;
        if (offsetFloats > sizeFloats - spanFloats) {
            throw new IllegalArgumentException(name + " is too small: " + rows + " × " + columns + " floats at "
                    + name + "Offset = " + offsetFloats + " with " + ldName + " = " + ldFloats + " span " + spanFloats
                    + " floats, the segment holds " + sizeFloats);
        }
    }
}
