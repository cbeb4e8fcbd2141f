package io.zbmd.ml.checkpoint;

import io.zbmd.gpu.DType;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types of the safetensors format, by the names its header uses ({@code "F32"},
 * {@code "BF16"}, …). Elements are stored little-endian; this class only knows their names and
 * sizes, so a tensor of any of these types is carried byte for byte.
 *
 * <p>Declared in the order of the Hugging Face safetensors library's {@code Dtype} enum, which
 * orders by alignment: its writer lays tensors out by this order, largest first, then by name,
 * and {@link SafetensorsWriter} does the same, so both write the same bytes for the same
 * tensors. Newer types of that library that are not whole bytes per element (4- and 6-bit
 * floats) are not supported: a file using them is rejected as having an unknown dtype.
 */
public enum SafetensorsDType {
    /** Booleans, one byte each (0 or 1). */
    BOOL(1),
    /** Unsigned 8-bit integers. */
    U8(1),
    /** Signed 8-bit integers. */
    I8(1),
    /** 8-bit floats with a 5-bit exponent (OCP FP8 E5M2), carried as raw bytes. */
    F8_E5M2(1),
    /** 8-bit floats with a 4-bit exponent (OCP FP8 E4M3), carried as raw bytes. */
    F8_E4M3(1),
    /** Signed 16-bit integers. */
    I16(2),
    /** Unsigned 16-bit integers. */
    U16(2),
    /** IEEE 754 binary16. */
    F16(2),
    /** bfloat16: the upper half of an IEEE 754 binary32. */
    BF16(2),
    /** Signed 32-bit integers. */
    I32(4),
    /** Unsigned 32-bit integers. */
    U32(4),
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary64. */
    F64(8),
    /** Signed 64-bit integers (PyTorch's {@code long}: step counters, indices). */
    I64(8),
    /** Unsigned 64-bit integers. */
    U64(8);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    /** @return bytes per element: 1, 2, 4 or 8 */
    public int bytes() {
        return bytes;
    }

    /**
     * @param headerName the name as a safetensors header spells it, case-sensitive
     * @return the type, or empty if the name is not one of {@link #knownNames()}
     */
    public static Optional<SafetensorsDType> ofHeaderName(String headerName) {
        for (SafetensorsDType type : values()) {
            if (type.name().equals(headerName)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /**
     * The safetensors type that stores a zbmd tensor's elements as they are.
     *
     * @param dtype a zbmd storage type
     * @return the same bit layout under its safetensors name
     */
    public static SafetensorsDType of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case BF16 -> BF16;
            case F16 -> F16;
            case I32 -> I32;
        };
    }

    /** @return every name a header may use, for error messages: "BOOL, U8, …" */
    public static String knownNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
