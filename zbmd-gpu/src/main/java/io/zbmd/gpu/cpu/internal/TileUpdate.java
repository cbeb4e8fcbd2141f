package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes an accumulated tile into C with the scalar form of the update every
 * {@link MicroKernel} uses ({@code alpha · acc}, or {@code fma(acc, alpha, beta · C)}), for
 * the scalar kernel and for the edge tiles of the vector kernel. Stateless and thread-safe.
 */
final class TileUpdate {
    /** Unaligned: a caller's segment may start anywhere, even inside a byte array. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private TileUpdate() {}

    /**
     * @param tile the accumulators, row-major with row length {@code nr}
     * @param rows rows of C to write, at most the tile's
     * @param cols columns of C to write, at most {@code nr}
     */
    static void apply(float[] tile, int nr, int rows, int cols, float alpha, float beta,
            MemorySegment c, long cIndex, int ldc) {
        for (int i = 0; i < rows; i++) {
            long rowBytes = (cIndex + (long) i * ldc) * Float.BYTES;
            int t = i * nr;
            if (beta == 0f) {
                for (int j = 0; j < cols; j++) {
                    c.set(FLOAT, rowBytes + (long) j * Float.BYTES, tile[t + j] * alpha);
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    long at = rowBytes + (long) j * Float.BYTES;
                    c.set(FLOAT, at, Math.fma(tile[t + j], alpha, beta * c.get(FLOAT, at)));
                }
            }
        }
    }
}
