package io.zbmd.gpu;

/** How a reduction combines values. */
public enum ReduceOp {
    /** Σ x, accumulated in double precision */
    SUM,
    /** max x */
    MAX
}
