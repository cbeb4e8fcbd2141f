package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * The innermost loop of the Goto/BLIS algorithm: one {@code mr × nr} tile of C from a packed
 * micro-panel of A ({@code kc} steps of {@code mr} floats) and one of B ({@code kc} steps of
 * {@code nr} floats), accumulated in registers.
 *
 * <p>Every implementation computes each element of C in the same order, so that they agree
 * bit for bit: {@code acc = 0; for p in 0..kc: acc = fma(a[p], b[p], acc)}, then
 * {@code C = alpha · acc} if {@code beta == 0} (C not read), else
 * {@code C = fma(acc, alpha, beta · C)}.
 *
 * <p>Implementations are stateless and thread-safe; the {@code tile} scratch belongs to the
 * caller.
 */
public interface MicroKernel {
    /** @return rows of a tile */
    int mr();

    /** @return columns of a tile */
    int nr();

    /** @return what computes, for kernel names ("Vector API 512-bit, 6×32 tiles") */
    String description();

    /**
     * Computes {@code C = alpha · Ap · Bp + beta · C} for the tile whose top-left element is
     * at {@code cIndex} (in floats) of {@code c}. Only the first {@code rows × cols} elements
     * of the tile are read or written; the packed panels are padded with zeros beyond them.
     *
     * @param kc steps of the accumulation
     * @param packedA {@code kc × mr} floats from {@code aIndex}, step-major
     * @param packedB {@code kc × nr} floats from {@code bIndex}, step-major
     * @param tile at least {@code mr × nr} floats of scratch for edge tiles
     */
    void multiply(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex, float alpha, float beta,
            MemorySegment c, long cIndex, int ldc, int rows, int cols, float[] tile);
}
