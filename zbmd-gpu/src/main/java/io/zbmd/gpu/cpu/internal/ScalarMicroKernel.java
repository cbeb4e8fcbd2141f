package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;

/**
 * The micro-kernel in plain Java, for JVMs without the {@code jdk.incubator.vector} module: a
 * 6×32 tile computed four columns at a time, 24 accumulators held in locals (registers), with
 * scalar {@link Math#fma}. It sums each element in the same order as {@link VectorMicroKernel},
 * so the two agree bit for bit (on hardware without FMA it is slow, not wrong).
 *
 * <p>Why not loops for C2's auto-vectoriser: on JDK 25 it leaves {@code tile[t + j] +=
 * a · packedB[b + j]} scalar, because it cannot rule out that the two arrays are one array at
 * overlapping offsets; that ran at 4 GFLOP/s, register blocking at about three times that.
 *
 * <p>Stateless and thread-safe.
 */
public final class ScalarMicroKernel implements MicroKernel {
    /** Rows of a tile: the vector kernel's. */
    static final int MR = 6;
    /** Columns of a tile: the vector kernel's with 512-bit vectors; a multiple of 4. */
    static final int NR = 32;

    /** Creates the kernel. */
    public ScalarMicroKernel() {}

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public String description() {
        return "scalar FMA, " + MR + "×" + NR + " tiles";
    }

    @Override
    public void multiply(int kc, float[] packedA, int aIndex, int aRowStride, int aStepStride, float[] packedB,
            int bIndex, float alpha, float beta, MemorySegment c, long cIndex, int ldc, int rows, int cols,
            float[] tile) {
        // Padded columns are zeros in the packed panel; blocks past the last valid column are skipped.
        for (int j0 = 0; j0 < cols; j0 += 4) {
            block(kc, packedA, aIndex, aRowStride, aStepStride, packedB, bIndex, tile, j0);
        }
        TileUpdate.apply(tile, NR, rows, cols, alpha, beta, c, cIndex, ldc);
    }

    /** Columns {@code j0 : j0 + 4} of the tile, all six rows: 24 accumulators in locals, scalar FMAs. */
    private static void block(int kc, float[] packedA, int aIndex, int aRowStride, int aStepStride,
            float[] packedB, int bIndex, float[] tile, int j0) {
        int a2Offset = 2 * aRowStride;
        int a3Offset = 3 * aRowStride;
        int a4Offset = 4 * aRowStride;
        int a5Offset = 5 * aRowStride;
        float c00 = 0f; float c01 = 0f; float c02 = 0f; float c03 = 0f;
        float c10 = 0f; float c11 = 0f; float c12 = 0f; float c13 = 0f;
        float c20 = 0f; float c21 = 0f; float c22 = 0f; float c23 = 0f;
        float c30 = 0f; float c31 = 0f; float c32 = 0f; float c33 = 0f;
        float c40 = 0f; float c41 = 0f; float c42 = 0f; float c43 = 0f;
        float c50 = 0f; float c51 = 0f; float c52 = 0f; float c53 = 0f;
        int a = aIndex;
        int b = bIndex + j0;
        for (int p = 0; p < kc; p++) {
            float b0 = packedB[b]; float b1 = packedB[b + 1]; float b2 = packedB[b + 2]; float b3 = packedB[b + 3];
            float a0 = packedA[a];
            c00 = Math.fma(a0, b0, c00); c01 = Math.fma(a0, b1, c01); c02 = Math.fma(a0, b2, c02); c03 = Math.fma(a0, b3, c03);
            float a1 = packedA[a + aRowStride];
            c10 = Math.fma(a1, b0, c10); c11 = Math.fma(a1, b1, c11); c12 = Math.fma(a1, b2, c12); c13 = Math.fma(a1, b3, c13);
            float a2 = packedA[a + a2Offset];
            c20 = Math.fma(a2, b0, c20); c21 = Math.fma(a2, b1, c21); c22 = Math.fma(a2, b2, c22); c23 = Math.fma(a2, b3, c23);
            float a3 = packedA[a + a3Offset];
            c30 = Math.fma(a3, b0, c30); c31 = Math.fma(a3, b1, c31); c32 = Math.fma(a3, b2, c32); c33 = Math.fma(a3, b3, c33);
            float a4 = packedA[a + a4Offset];
            c40 = Math.fma(a4, b0, c40); c41 = Math.fma(a4, b1, c41); c42 = Math.fma(a4, b2, c42); c43 = Math.fma(a4, b3, c43);
            float a5 = packedA[a + a5Offset];
            c50 = Math.fma(a5, b0, c50); c51 = Math.fma(a5, b1, c51); c52 = Math.fma(a5, b2, c52); c53 = Math.fma(a5, b3, c53);
            a += aStepStride;
            b += NR;
        }
        tile[j0] = c00; tile[j0 + 1] = c01; tile[j0 + 2] = c02; tile[j0 + 3] = c03;
        tile[NR + j0] = c10; tile[NR + j0 + 1] = c11; tile[NR + j0 + 2] = c12; tile[NR + j0 + 3] = c13;
        tile[2 * NR + j0] = c20; tile[2 * NR + j0 + 1] = c21; tile[2 * NR + j0 + 2] = c22; tile[2 * NR + j0 + 3] = c23;
        tile[3 * NR + j0] = c30; tile[3 * NR + j0 + 1] = c31; tile[3 * NR + j0 + 2] = c32; tile[3 * NR + j0 + 3] = c33;
        tile[4 * NR + j0] = c40; tile[4 * NR + j0 + 1] = c41; tile[4 * NR + j0 + 2] = c42; tile[4 * NR + j0 + 3] = c43;
        tile[5 * NR + j0] = c50; tile[5 * NR + j0 + 1] = c51; tile[5 * NR + j0 + 2] = c52; tile[5 * NR + j0 + 3] = c53;
    }
}
