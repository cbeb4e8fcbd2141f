package io.zbmd.gpu.cpu.internal;

/**
 * The cache blocking of the Goto/BLIS algorithm (K. Goto and R. van de Geijn, "Anatomy of
 * High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008; F. Van Zee and R. van de
 * Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS 41(3),
 * 2015), in floats. A packed {@code kc × nc} panel of B is shared by all row blocks; a packed
 * {@code mc × kc} block of A is shared by all micro-tiles of that panel; the micro-kernel
 * computes an {@code mr × nr} tile of C in registers over {@code kc} steps.
 *
 * <p>{@code kc} also fixes the order of the additions: each element of C is accumulated over
 * one {@code kc} slice of the k dimension at a time, so results depend on {@code kc} and on
 * nothing else here (not on {@code mc}, {@code nc}, the tile shape or the threads).
 *
 * @param mr rows of a micro-tile
 * @param nr columns of a micro-tile
 * @param mc rows of a packed block of A, a multiple of {@code mr}
 * @param kc depth of the packed blocks of A and B
 * @param nc columns of a packed panel of B, a multiple of {@code nr}
 */
public record Blocking(int mr, int nr, int mc, int kc, int nc) {
    /**
     * Validates the blocking.
     *
     * @throws IllegalArgumentException if a size is not positive, or {@code mc} or {@code nc}
     *     is not a multiple of the tile
     */
    public Blocking {
        positive("mr", mr);
        positive("nr", nr);
        positive("mc", mc);
        positive("kc", kc);
        positive("nc", nc);
        if (mc % mr != 0) {
            throw new IllegalArgumentException("mc = " + mc + " is not a multiple of mr = " + mr);
        }
        if (nc % nr != 0) {
            throw new IllegalArgumentException("nc = " + nc + " is not a multiple of nr = " + nr);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " = " + value + " is not positive");
        }
    }
}
