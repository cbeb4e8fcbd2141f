package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Copies a block of {@code op(A)} or {@code op(B)} from a caller's segment into the packed
 * layout the micro-kernel streams through (Goto and van de Geijn, section 5): micro-panels of
 * {@code width} rows of A (or columns of B), each stored step-major ({@code depth × width}
 * floats, the {@code width} values of one step of k side by side), the last micro-panel padded
 * with zeros. Transposes cost nothing extra: they only swap which stride is the unit one.
 *
 * <p>The block is described by strides: its element {@code (o, p)} ({@code o} along the
 * panel width, {@code p} along k) lies at float index {@code origin + o · outerStride +
 * p · depthStride}, and one of the two strides is 1 for a row-major matrix.
 *
 * <p>Stateless and thread-safe; the arrays belong to the caller.
 */
final class Packing {
    /** Unaligned: a caller's segment may start anywhere, even inside a byte array. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Packing() {}

    /**
     * @param outerCount rows of A (or columns of B) in the block
     * @param depth steps of k in the block
     * @param width the micro-panel width ({@code mr} for A, {@code nr} for B)
     * @param packed receives {@code ceil(outerCount / width) · width · depth} floats
     * @param scratch at least {@code outerCount} floats
     */
    static void pack(MemorySegment source, long origin, long outerStride, long depthStride, int outerCount,
            int depth, int width, float[] packed, float[] scratch) {
        if (depthStride == 1) {
            packContiguousDepth(source, origin, outerStride, outerCount, depth, width, packed);
        } else if (outerStride == 1) {
            packContiguousOuter(source, origin, depthStride, outerCount, depth, width, packed, scratch);
        } else {
            throw new IllegalStateException("neither stride is 1: outer " + outerStride + ", depth " + depthStride);
        }
        padLastPanel(outerCount, depth, width, packed);
    }

    /**
     * A not transposed, or B transposed: each row (column) of the block is one run along k,
     * read in order and written {@code width} floats apart. Reading the segment directly beat
     * a bulk copy to scratch followed by the scatter (0.54 against 0.62 ms for a 1024² A):
     * C2 hoists the bounds checks out of this loop.
     */
    private static void packContiguousDepth(MemorySegment source, long origin, long outerStride, int outerCount,
            int depth, int width, float[] packed) {
        for (int o = 0; o < outerCount; o++) {
            long runBytes = (origin + o * outerStride) * Float.BYTES;
            int panel = o / width;
            int at = panel * width * depth + (o - panel * width);
            for (int p = 0; p < depth; p++) {
                packed[at + p * width] = source.get(FLOAT, runBytes + (long) p * Float.BYTES);
            }
        }
    }

    /** A transposed, or B not transposed: each step of k is one run across the block. */
    private static void packContiguousOuter(MemorySegment source, long origin, long depthStride, int outerCount,
            int depth, int width, float[] packed, float[] scratch) {
        for (int p = 0; p < depth; p++) {
            MemorySegment.copy(source, FLOAT, (origin + p * depthStride) * Float.BYTES, scratch, 0, outerCount);
            for (int o = 0, panelBase = 0; o < outerCount; o += width, panelBase += width * depth) {
                System.arraycopy(scratch, o, packed, panelBase + p * width, Math.min(width, outerCount - o));
            }
        }
    }

    /** Zeros the lanes past the block's edge, so that edge tiles add nothing from stale data. */
    private static void padLastPanel(int outerCount, int depth, int width, float[] packed) {
        int valid = outerCount % width;
        if (valid == 0) {
            return;
        }
        int base = (outerCount / width) * width * depth;
        for (int p = 0; p < depth; p++) {
            int at = base + p * width;
            Arrays.fill(packed, at + valid, at + width, 0f);
        }
    }
}
