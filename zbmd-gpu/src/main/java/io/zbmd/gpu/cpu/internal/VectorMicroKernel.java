package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel on the Vector API: a 6×2-vector tile of C (6 × 2·lanes floats, 6 × 32 with
 * 512-bit vectors) held in 12 vector accumulators, so that each step of the loop issues 12 independent
 * FMAs, enough to cover the FMA latency, from 2 vector loads of B and 6 broadcasts of A (read with the
 * strides A was packed with). Written out row by row because C2 keeps vector locals in registers
 * but not arrays of vectors; in L1 it runs at 115 GFLOP/s on a Zen 4 core, about its peak.
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
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

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
    public void multiply(int kc, float[] packedA, int aIndex, int aRowStride, int aStepStride, float[] packedB,
            int bIndex, float alpha, float beta, MemorySegment c, long cIndex, int ldc, int rows, int cols,
            float[] tile) {
        if (cols <= LANES) {
            multiplyNarrow(kc, packedA, aIndex, aRowStride, aStepStride, packedB, bIndex, alpha, beta, c, cIndex, ldc,
                    rows, cols, tile);
            return;
        }
        FloatVector c0_0 = FloatVector.zero(SPECIES); FloatVector c0_1 = FloatVector.zero(SPECIES);
        FloatVector c1_0 = FloatVector.zero(SPECIES); FloatVector c1_1 = FloatVector.zero(SPECIES);
        FloatVector c2_0 = FloatVector.zero(SPECIES); FloatVector c2_1 = FloatVector.zero(SPECIES);
        FloatVector c3_0 = FloatVector.zero(SPECIES); FloatVector c3_1 = FloatVector.zero(SPECIES);
        FloatVector c4_0 = FloatVector.zero(SPECIES); FloatVector c4_1 = FloatVector.zero(SPECIES);
        FloatVector c5_0 = FloatVector.zero(SPECIES); FloatVector c5_1 = FloatVector.zero(SPECIES);
        int a2Offset = 2 * aRowStride;
        int a3Offset = 3 * aRowStride;
        int a4Offset = 4 * aRowStride;
        int a5Offset = 5 * aRowStride;
        int a = aIndex;
        int b = bIndex;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, packedB, b);
            FloatVector b1 = FloatVector.fromArray(SPECIES, packedB, b + LANES);
            FloatVector a0 = FloatVector.broadcast(SPECIES, packedA[a]);
            c0_0 = a0.fma(b0, c0_0); c0_1 = a0.fma(b1, c0_1);
            FloatVector a1 = FloatVector.broadcast(SPECIES, packedA[a + aRowStride]);
            c1_0 = a1.fma(b0, c1_0); c1_1 = a1.fma(b1, c1_1);
            FloatVector a2 = FloatVector.broadcast(SPECIES, packedA[a + a2Offset]);
            c2_0 = a2.fma(b0, c2_0); c2_1 = a2.fma(b1, c2_1);
            FloatVector a3 = FloatVector.broadcast(SPECIES, packedA[a + a3Offset]);
            c3_0 = a3.fma(b0, c3_0); c3_1 = a3.fma(b1, c3_1);
            FloatVector a4 = FloatVector.broadcast(SPECIES, packedA[a + a4Offset]);
            c4_0 = a4.fma(b0, c4_0); c4_1 = a4.fma(b1, c4_1);
            FloatVector a5 = FloatVector.broadcast(SPECIES, packedA[a + a5Offset]);
            c5_0 = a5.fma(b0, c5_0); c5_1 = a5.fma(b1, c5_1);
            a += aStepStride;
            b += NR;
        }
        if (rows == MR && cols == NR) {
            FloatVector alphas = FloatVector.broadcast(SPECIES, alpha);
            long row = cIndex * Float.BYTES;
            long rowBytes = (long) ldc * Float.BYTES;
            store(c0_0, alphas, beta, c, row);
            store(c0_1, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c1_0, alphas, beta, c, row);
            store(c1_1, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c2_0, alphas, beta, c, row);
            store(c2_1, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c3_0, alphas, beta, c, row);
            store(c3_1, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c4_0, alphas, beta, c, row);
            store(c4_1, alphas, beta, c, row + LANES * Float.BYTES);
            row += rowBytes;
            store(c5_0, alphas, beta, c, row);
            store(c5_1, alphas, beta, c, row + LANES * Float.BYTES);
        } else {
            c0_0.intoArray(tile, 0);
            c0_1.intoArray(tile, LANES);
            c1_0.intoArray(tile, NR);
            c1_1.intoArray(tile, NR + LANES);
            c2_0.intoArray(tile, 2 * NR);
            c2_1.intoArray(tile, 2 * NR + LANES);
            c3_0.intoArray(tile, 3 * NR);
            c3_1.intoArray(tile, 3 * NR + LANES);
            c4_0.intoArray(tile, 4 * NR);
            c4_1.intoArray(tile, 4 * NR + LANES);
            c5_0.intoArray(tile, 5 * NR);
            c5_1.intoArray(tile, 5 * NR + LANES);
            TileUpdate.apply(tile, NR, rows, cols, alpha, beta, c, cIndex, ldc);
        }
    }

    /**
     * A tile with at most one vector of valid columns (an edge, or a whole layer 8 or 16
     * channels wide): half the FMAs of the full tile, each element summed in the same order.
     */
    private static void multiplyNarrow(int kc, float[] packedA, int aIndex, int aRowStride, int aStepStride,
            float[] packedB, int bIndex, float alpha, float beta, MemorySegment c, long cIndex, int ldc, int rows,
            int cols, float[] tile) {
        FloatVector c0 = FloatVector.zero(SPECIES);
        FloatVector c1 = FloatVector.zero(SPECIES);
        FloatVector c2 = FloatVector.zero(SPECIES);
        FloatVector c3 = FloatVector.zero(SPECIES);
        FloatVector c4 = FloatVector.zero(SPECIES);
        FloatVector c5 = FloatVector.zero(SPECIES);
        int a2Offset = 2 * aRowStride;
        int a3Offset = 3 * aRowStride;
        int a4Offset = 4 * aRowStride;
        int a5Offset = 5 * aRowStride;
        int a = aIndex;
        int b = bIndex;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, packedB, b);
            c0 = FloatVector.broadcast(SPECIES, packedA[a]).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, packedA[a + aRowStride]).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, packedA[a + a2Offset]).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, packedA[a + a3Offset]).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, packedA[a + a4Offset]).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, packedA[a + a5Offset]).fma(b0, c5);
            a += aStepStride;
            b += NR;
        }
        if (rows == MR && cols == LANES) {
            FloatVector alphas = FloatVector.broadcast(SPECIES, alpha);
            long rowBytes = (long) ldc * Float.BYTES;
            store(c0, alphas, beta, c, cIndex * Float.BYTES);
            store(c1, alphas, beta, c, cIndex * Float.BYTES + rowBytes);
            store(c2, alphas, beta, c, cIndex * Float.BYTES + 2 * rowBytes);
            store(c3, alphas, beta, c, cIndex * Float.BYTES + 3 * rowBytes);
            store(c4, alphas, beta, c, cIndex * Float.BYTES + 4 * rowBytes);
            store(c5, alphas, beta, c, cIndex * Float.BYTES + 5 * rowBytes);
        } else {
            c0.intoArray(tile, 0);
            c1.intoArray(tile, NR);
            c2.intoArray(tile, 2 * NR);
            c3.intoArray(tile, 3 * NR);
            c4.intoArray(tile, 4 * NR);
            c5.intoArray(tile, 5 * NR);
            TileUpdate.apply(tile, NR, rows, cols, alpha, beta, c, cIndex, ldc);
        }
    }

    /**
     * Copies each step's run with vector loads from the segment and stores into the panel: 35%
     * faster than a bulk copy to scratch followed by one array copy per micro-panel, whose call
     * overhead dominates for 32-float pieces. Same floats as {@link Packing#packStepRuns}.
     */
    @Override
    public void packStepRuns(MemorySegment source, long origin, long depthStride, int outerCount, int depth,
            int width, float[] packed, float[] scratch) {
        if (width % LANES != 0) {
            MicroKernel.super.packStepRuns(source, origin, depthStride, outerCount, depth, width, packed, scratch);
            return;
        }
        int whole = outerCount / width * width;
        for (int p = 0; p < depth; p++) {
            long runBytes = (origin + p * depthStride) * Float.BYTES;
            for (int o = 0, at = p * width; o < whole; o += width, at += width * depth) {
                for (int v = 0; v < width; v += LANES) {
                    FloatVector.fromMemorySegment(SPECIES, source, runBytes + (long) (o + v) * Float.BYTES, ORDER)
                            .intoArray(packed, at + v);
                }
            }
            int at = whole * depth + p * width; // the last, partial micro-panel
            for (int o = whole; o < outerCount; o++) {
                packed[at + o - whole] = source.get(FLOAT, runBytes + (long) o * Float.BYTES);
            }
        }
        Packing.padLastPanel(outerCount, depth, width, packed);
    }

    /** {@code C = alpha · acc}, or {@code fma(acc, alpha, beta · C)}: the order TileUpdate uses too. */
    private static void store(FloatVector acc, FloatVector alphas, float beta, MemorySegment c, long byteOffset) {
        FloatVector result = beta == 0f
                ? acc.mul(alphas)
                : acc.fma(alphas, FloatVector.fromMemorySegment(SPECIES, c, byteOffset, ORDER).mul(beta));
        result.intoMemorySegment(c, byteOffset, ORDER);
    }
}
