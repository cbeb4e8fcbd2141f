package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.zbmd.gpu.DType;
import java.lang.foreign.MemorySegment;

/** Conversions between float32 and the other storage types (16-bit floats round to nearest even). */
public final class ConvertKernels {
    private ConvertKernels() {}

    /**
     * Converts {@code count} values; 16-bit values are packed (index i at bytes 2i, 2i+1).
     *
     * @throws IllegalArgumentException for a conversion between two 16-bit types
     */
    public static void convert(DType from, MemorySegment src, long srcOffset, DType to, MemorySegment dst,
            long dstOffset, long count) {
        if (from == to) {
            MemorySegment.copy(src, srcOffset * from.bytes(), dst, dstOffset * to.bytes(), count * from.bytes());
            return;
        }
        if (from != DType.F32 && to != DType.F32) {
            throw new IllegalArgumentException("convert " + from + " to " + to + " through F32");
        }
        if (from == DType.I32 || to == DType.I32) {
            convertInt(from, src, srcOffset, dst, dstOffset, count);
            return;
        }
        for (long i = 0; i < count; i++) {
            if (from == DType.F32) {
                float v = src.getAtIndex(JAVA_FLOAT, srcOffset + i);
                dst.setAtIndex(JAVA_SHORT, dstOffset + i, to == DType.BF16 ? toBf16(v) : Float.floatToFloat16(v));
            } else {
                short h = src.getAtIndex(JAVA_SHORT, srcOffset + i);
                dst.setAtIndex(JAVA_FLOAT, dstOffset + i, from == DType.BF16 ? fromBf16(h) : Float.float16ToFloat(h));
            }
        }
    }

    /** int32 to float32 (nearest), or float32 to int32 truncating toward zero as a cast does. */
    private static void convertInt(DType from, MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset,
            long count) {
        for (long i = 0; i < count; i++) {
            if (from == DType.I32) {
                dst.setAtIndex(JAVA_FLOAT, dstOffset + i, src.getAtIndex(JAVA_INT, srcOffset + i));
            } else {
                dst.setAtIndex(JAVA_INT, dstOffset + i, (int) src.getAtIndex(JAVA_FLOAT, srcOffset + i));
            }
        }
    }

    /** float32 to bfloat16, round to nearest even; NaN stays NaN (quiet). */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** bfloat16 to float32 (exact). */
    public static float fromBf16(short value) {
        return Float.intBitsToFloat((value & 0xFFFF) << 16);
    }
}
