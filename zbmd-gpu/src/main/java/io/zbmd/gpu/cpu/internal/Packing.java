package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Copies a block of {@code op(A)} or {@code op(B)} from a caller's segment into the packed
 * layout the micro-kernel streams through (Goto and van de Geijn, section 5): micro-panels of
 * {@code width} rows of A (or columns of B), the last one padded with zeros, each stored either
 * step-major ({@code depth × width} floats, the {@code width} values of one step of k side by
 * side: what B needs, and BLIS's layout for A) or row-major ({@code width × depth} floats: a
 * non-transposed A, copied one row at a time in bulk, five times faster than interleaving it).
 *
 * <p>A block is given by its origin (the float index of its element (0, 0)) and strides. A
 * row-major matrix has a unit stride along its rows, so each block is either a run per step of
 * k ({@link #packStepRuns}: A transposed, B not) or a run per row of A or column of B
 * ({@link #packStepMajorFromRuns}, {@link #packRowMajor}: A not transposed, B transposed).
 *
 * <p>Stateless and thread-safe; the arrays belong to the caller.
 */
final class Packing {
    /** Unaligned: a caller's segment may start anywhere, even inside a byte array. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Packing() {}

    /**
     * Packs step-major micro-panels from a block whose steps are runs: step {@code p} is
     * {@code outerCount} consecutive floats at {@code origin + p · depthStride}. Each run goes
     * through {@code scratch} with one bulk copy (one bounds check per run, not per float).
     *
     * @param depth steps of k in the block
     * @param width the micro-panel width ({@code mr} for A, {@code nr} for B)
     * @param packed receives {@code ceil(outerCount / width) · width · depth} floats
     * @param scratch at least {@code outerCount} floats
     */
    static void packStepRuns(MemorySegment source, long origin, long depthStride, int outerCount, int depth,
            int width, float[] packed, float[] scratch) {
        for (int p = 0; p < depth; p++) {
            MemorySegment.copy(source, FLOAT, (origin + p * depthStride) * Float.BYTES, scratch, 0, outerCount);
            for (int o = 0, panelBase = 0; o < outerCount; o += width, panelBase += width * depth) {
                System.arraycopy(scratch, o, packed, panelBase + p * width, Math.min(width, outerCount - o));
            }
        }
        padLastPanel(outerCount, depth, width, packed);
    }

    /**
     * Packs step-major micro-panels from a block whose rows (of A) or columns (of B) are runs:
     * run {@code o} is {@code depth} consecutive floats at {@code origin + o · outerStride}, read
     * in order and written {@code width} floats apart. Reading the segment directly beat a bulk
     * copy to scratch followed by the scatter (0.54 against 0.62 ms for a 1024² matrix): C2
     * hoists the bounds checks out of this loop.
     *
     * @param packed receives {@code ceil(outerCount / width) · width · depth} floats
     */
    static void packStepMajorFromRuns(MemorySegment source, long origin, long outerStride, int outerCount,
            int depth, int width, float[] packed) {
        for (int o = 0; o < outerCount; o++) {
            long runBytes = (origin + o * outerStride) * Float.BYTES;
            int panel = o / width;
            int at = panel * width * depth + (o - panel * width);
            for (int p = 0; p < depth; p++) {
                packed[at + p * width] = source.get(FLOAT, runBytes + (long) p * Float.BYTES);
            }
        }
        padLastPanel(outerCount, depth, width, packed);
    }

    /**
     * Packs row-major micro-panels from a block whose rows are runs: row {@code o} goes, in one
     * bulk copy, to {@code packed[o · depth ...]}.
     *
     * @param packed receives {@code ceil(outerCount / width) · width · depth} floats
     */
    static void packRowMajor(MemorySegment source, long origin, long outerStride, int outerCount, int depth,
            int width, float[] packed) {
        for (int o = 0; o < outerCount; o++) {
            MemorySegment.copy(source, FLOAT, (origin + o * outerStride) * Float.BYTES, packed, o * depth, depth);
        }
        int padded = Math.ceilDiv(outerCount, width) * width;
        Arrays.fill(packed, outerCount * depth, padded * depth, 0f);
    }

    /** Zeros the lanes past the block's edge, so that edge tiles add nothing from stale data. */
    static void padLastPanel(int outerCount, int depth, int width, float[] packed) {
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
