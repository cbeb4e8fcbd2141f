package io.zbmd.gpu;

/** Element-wise functions of one float32 argument. */
public enum UnaryOp {
    /** -x */
    NEG,
    /** e^x */
    EXP,
    /** ln x */
    LOG,
    /** max(x, 0) */
    RELU,
    /** x·Φ(x), with the exact (erf-based) Φ, as PyTorch's default {@code nn.GELU} */
    GELU,
    /** tanh x */
    TANH,
    /** 1 / (1 + e^-x) */
    SIGMOID,
    /** √x */
    SQRT,
    /** x² */
    SQUARE,
    /** |x| */
    ABS
}
