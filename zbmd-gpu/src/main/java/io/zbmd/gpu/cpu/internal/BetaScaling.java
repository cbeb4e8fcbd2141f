package io.zbmd.gpu.cpu.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C = beta · C}, the whole of a call whose product is empty ({@code k == 0}) or scaled
 * away ({@code alpha == 0}). A and B are then not read, as in the reference BLAS, so NaN or
 * infinity in them does not reach C; OpenBLAS 0.3.21 does read them (its small-matrix path
 * turned a NaN in A into NaN in C with {@code alpha = 0}), so both kernels come here instead.
 * With {@code beta == 0}, C is not read either. Stateless and thread-safe.
 */
final class BetaScaling {
    /** Unaligned: a caller's segment may start anywhere, even inside a byte array. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private BetaScaling() {}

    /** @return whether a call with these arguments is only {@code C = beta · C} */
    static boolean onlyScales(int k, float alpha) {
        return k == 0 || alpha == 0f;
    }

    /** Scales the {@code m × n} matrix at {@code cOffset} (in floats) by {@code beta}. */
    static void scale(float beta, MemorySegment c, long cOffset, int ldc, int m, int n) {
        if (beta == 1f) {
            return;
        }
        for (int i = 0; i < m; i++) {
            long rowBytes = (cOffset + (long) i * ldc) * Float.BYTES;
            if (beta == 0f) {
                c.asSlice(rowBytes, (long) n * Float.BYTES).fill((byte) 0); // all-zero bits are +0.0f
                continue;
            }
            for (int j = 0; j < n; j++) {
                long at = rowBytes + (long) j * Float.BYTES;
                c.set(FLOAT, at, beta * c.get(FLOAT, at));
            }
        }
    }
}
