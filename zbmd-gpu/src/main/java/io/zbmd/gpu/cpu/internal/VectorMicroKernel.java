package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel on the Vector API: a 6×2-vector tile of C (6 × 2·lanes floats, 6 × 32 with
 * 512-bit vectors) held in 12 vector accumulators, so that each step of the loop issues 12 independent
 * FMAs, enough to cover the FMA latency, from 2 vector loads of B and 6 broadcasts of A. Written out by hand,
 * row by row, because C2 keeps locals in registers but not arrays of vectors.
 *
 * <p>Load this class only when {@code jdk.incubator.vector} is in the boot layer (see
 * {@link MicroKernels}): its constant pool names the module's classes. Stateless and
 * thread-safe.
 */
public final class VectorMicroKernel implements MicroKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final int MR = 6;
    private static final int NR = 2 * LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Creates the kernel; there is one shape per species. */
    public VectorMicroKernel() {}

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
        return "Vector API " + SPECIES.vectorBitSize() + "-bit, " + MR + "×" + NR + " tiles";
    }

    @Override
    public void multiply(int kc, float[] packedA, int aIndex, float[] packedB, int bIndex, float alpha, float beta,
            MemorySegment c, long cIndex, int ldc, int rows, int cols, float[] tile) {
        FloatVector c00 = FloatVector.zero(SPECIES); FloatVector c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES); FloatVector c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES); FloatVector c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES); FloatVector c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES); FloatVector c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES); FloatVector c51 = FloatVector.zero(SPECIES);
        int a = aIndex;
        int b = bIndex;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, packedB, b);
            FloatVector b1 = FloatVector.fromArray(SPECIES, packedB, b + LANES);
            FloatVector a0 = FloatVector.broadcast(SPECIES, packedA[a]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, packedA[a + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, packedA[a + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, packedA[a + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(SPECIES, packedA[a + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(SPECIES, packedA[a + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            a += MR;
            b += NR;
        }
        if (rows == MR && cols == NR) {
            FloatVector alphas = FloatVector.broadcast(SPECIES, alpha);
            long row = cIndex * Float.BYTES;
            long rowBytes = (long) ldc * Float.BYTES;
            store(c00, alphas, beta, c, row);
            store(c01, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c10, alphas, beta, c, row);
            store(c11, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c20, alphas, beta, c, row);
            store(c21, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c30, alphas, beta, c, row);
            store(c31, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c40, alphas, beta, c, row);
            store(c41, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c50, alphas, beta, c, row);
            store(c51, alphas, beta, c, row + LANES * Float.BYTES);
        } else {
            c00.intoArray(tile, 0);
            c01.intoArray(tile, LANES);
            c10.intoArray(tile, NR);
            c11.intoArray(tile, NR + LANES);
            c20.intoArray(tile, 2 * NR);
            c21.intoArray(tile, 2 * NR + LANES);
            c30.intoArray(tile, 3 * NR);
            c31.intoArray(tile, 3 * NR + LANES);
            c40.intoArray(tile, 4 * NR);
            c41.intoArray(tile, 4 * NR + LANES);
            c50.intoArray(tile, 5 * NR);
            c51.intoArray(tile, 5 * NR + LANES);
            TileUpdate.apply(tile, NR, rows, cols, alpha, beta, c, cIndex, ldc);
        }
    }

    /** {@code C = alpha · acc}, or {@code fma(acc, alpha, beta · C)}: the order TileUpdate uses too. */
    private static void store(FloatVector acc, FloatVector alphas, float beta, MemorySegment c, long byteOffset) {
        FloatVector result = beta == 0f
                ? acc.mul(alphas)
                : acc.fma(alphas, FloatVector.fromMemorySegment(SPECIES, c, byteOffset, ORDER).mul(beta));
        result.intoMemorySegment(c, byteOffset, ORDER);
    }
}
