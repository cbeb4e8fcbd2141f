package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * The innermost loop of the Goto/BLIS algorithm: one {@code mr × nr} tile of C from a packed
 * micro-panel of A ({@code mr} rows of {@code kc} steps, in either layout, see below) and one of
 * B ({@code kc} steps of {@code nr} floats side by side), accumulated in registers.
 *
 * <p>A's micro-panel is read at {@code aIndex + i · aRowStride + p · aStepStride} for row
 * {@code i} and step {@code p}: step-major ({@code aRowStride = 1, aStepStride = mr}, as BLIS
 * packs it) or row-major ({@code aRowStride = kc, aStepStride = 1}, which a non-transposed A
 * packs into with one bulk copy per row instead of a scatter).
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
     * @param packedA A's micro-panel
     * @param aIndex where its row 0, step 0 is
     * @param aRowStride floats between its rows
     * @param aStepStride floats between its steps
     * @param packedB {@code kc × nr} floats from {@code bIndex}, step-major
     * @param tile at least {@code mr × nr} floats of scratch for edge tiles
     */
    void multiply(int kc, float[] packedA, int aIndex, int aRowStride, int aStepStride, float[] packedB,
            int bIndex, float alpha, float beta, MemorySegment c, long cIndex, int ldc, int rows, int cols,
            float[] tile);

    /**
     * Packs step-major micro-panels from a block whose steps of k are runs in the segment (B
     * not transposed, A transposed): see {@link Packing#packStepRuns}, which this default calls.
     * A kernel may copy with its own vectors, as BLIS pairs each micro-kernel with packing
     * kernels; the packed floats must be the same.
     *
     * @param packed receives {@code ceil(outerCount / width) · width · depth} floats
     * @param scratch at least {@code outerCount} floats
     */
    default void packStepRuns(MemorySegment source, long origin, long depthStride, int outerCount, int depth,
            int width, float[] packed, float[] scratch) {
        Packing.packStepRuns(source, origin, depthStride, outerCount, depth, width, packed, scratch);
    }
}
