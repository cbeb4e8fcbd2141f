package io.zbmd.gpu.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision matrix multiply on off-heap memory, row-major, as BLAS's {@code sgemm}:
 * {@code C = alpha · op(A) · op(B) + beta · C}, where {@code op(X)} is X or its transpose.
 *
 * <p>{@code C} is {@code m × n}, {@code op(A)} is {@code m × k}, {@code op(B)} is
 * {@code k × n}. Offsets and leading dimensions are in elements (floats): element
 * {@code (i, j)} of a stored matrix X is at {@code xOffset + i * ldx + j}. With
 * {@code beta == 0}, C is not read (it may hold garbage, even NaN).
 *
 * <p>Results are bit-identical from run to run for a given implementation and thread count,
 * whatever the thread timing: work is partitioned the same way every time and no element of
 * C is summed in an order that depends on timing. Deterministic training depends on this.
 *
 * <p>Implementations are thread-safe; one call may use several threads internally.
 */
public interface GemmKernel extends AutoCloseable {

    /** @return what this kernel is, for logs and device descriptions ("OpenBLAS 0.3.21 (native), 2 threads") */
    String name();

    /** @return the threads one call uses */
    int threads();

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C}.
     *
     * @throws IllegalArgumentException if a dimension is negative, a leading dimension is too
     *     small, or a matrix does not fit in its segment
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb,
            float beta, MemorySegment c, long cOffset, int ldc);

    /** Releases threads and native resources. */
    @Override
    void close();
}
