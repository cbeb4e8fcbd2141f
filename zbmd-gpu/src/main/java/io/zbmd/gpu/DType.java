package io.zbmd.gpu;

/**
 * How tensor values are stored. Compute is float32; bfloat16 and float16 are storage formats
 * (half the memory, for checkpoints and caches), converted to and from float32 with
 * round-to-nearest-even; int32 holds labels and indices.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(4),
    /** bfloat16: float32's exponent, 7-bit mantissa. */
    BF16(2),
    /** IEEE 754 binary16. */
    F16(2),
    /** 32-bit signed integers: labels and indices, not for arithmetic. */
    I32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** @return bytes per element */
    public int bytes() {
        return bytes;
    }
}
