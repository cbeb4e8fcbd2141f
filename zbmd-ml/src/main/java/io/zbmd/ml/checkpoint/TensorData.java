package io.zbmd.ml.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * One tensor's values as a safetensors file stores them: a {@link TensorSpec} and exactly
 * {@code spec().byteCount()} bytes, elements row-major and little-endian.
 *
 * <p>The bytes live in a {@link MemorySegment}. {@link #of} wraps a segment without copying
 * (whoever owns its arena owns the data, and must keep it alive and unchanged while it is
 * written); the {@code ofFloats}/{@code ofInts}/… factories copy into fresh off-heap memory that
 * the garbage collector frees ({@link Arena#ofAuto()}). Data read from a file lives in the arena
 * given to the reader.
 *
 * <p>Immutable as far as this class goes (it never writes the segment after making it), so
 * thread-safe when the segment's owner does not change it either.
 */
public final class TensorData {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** CRC32C.update takes ByteBuffers of at most 2 GiB; larger tensors are checksummed in slices. */
    private static final long CRC_SLICE_BYTES = 1L << 30;

    private final TensorSpec spec;
    private final MemorySegment bytes;

    private TensorData(TensorSpec spec, MemorySegment bytes) {
        this.spec = spec;
        this.bytes = bytes;
    }

    /**
     * Wraps bytes that are already in safetensors layout, without copying.
     *
     * @param spec type and shape
     * @param bytes exactly {@code spec.byteCount()} bytes, little-endian elements, row-major
     * @return the tensor
     * @throws IllegalArgumentException if the byte count does not match the spec
     * @throws NullPointerException if an argument is null
     */
    public static TensorData of(TensorSpec spec, MemorySegment bytes) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.byteSize() != spec.byteCount()) {
            throw new IllegalArgumentException("a " + spec + " tensor takes " + spec.byteCount()
                    + " bytes, got a segment of " + bytes.byteSize());
        }
        return new TensorData(spec, bytes);
    }

    /**
     * @param dtype the element type the bytes hold
     * @param littleEndianBytes the elements, row-major (copied)
     * @param shape the sizes
     * @return the tensor
     * @throws IllegalArgumentException if the byte count does not match type and shape
     */
    public static TensorData ofBytes(SafetensorsDType dtype, byte[] littleEndianBytes, int... shape) {
        MemorySegment copy = allocate(littleEndianBytes.length);
        MemorySegment.copy(littleEndianBytes, 0, copy, ValueLayout.JAVA_BYTE, 0, littleEndianBytes.length);
        return of(new TensorSpec(dtype, shape), copy);
    }

    /**
     * @param values float32 values, row-major (copied)
     * @param shape the sizes; their product must be {@code values.length}
     * @return an F32 tensor
     * @throws IllegalArgumentException if the count does not match the shape
     */
    public static TensorData ofFloats(float[] values, int... shape) {
        TensorSpec spec = checkedSpec(SafetensorsDType.F32, values.length, shape);
        MemorySegment copy = allocate(spec.byteCount());
        MemorySegment.copy(values, 0, copy, F32_LE, 0, values.length);
        return new TensorData(spec, copy);
    }

    /**
     * @param values int32 values, row-major (copied)
     * @param shape the sizes; their product must be {@code values.length}
     * @return an I32 tensor
     * @throws IllegalArgumentException if the count does not match the shape
     */
    public static TensorData ofInts(int[] values, int... shape) {
        TensorSpec spec = checkedSpec(SafetensorsDType.I32, values.length, shape);
        MemorySegment copy = allocate(spec.byteCount());
        MemorySegment.copy(values, 0, copy, I32_LE, 0, values.length);
        return new TensorData(spec, copy);
    }

    /**
     * @param values int64 values, row-major (copied): step counters, indices
     * @param shape the sizes; their product must be {@code values.length}
     * @return an I64 tensor
     * @throws IllegalArgumentException if the count does not match the shape
     */
    public static TensorData ofLongs(long[] values, int... shape) {
        TensorSpec spec = checkedSpec(SafetensorsDType.I64, values.length, shape);
        MemorySegment copy = allocate(spec.byteCount());
        MemorySegment.copy(values, 0, copy, I64_LE, 0, values.length);
        return new TensorData(spec, copy);
    }

    private static TensorSpec checkedSpec(SafetensorsDType dtype, int count, int[] shape) {
        TensorSpec spec = new TensorSpec(dtype, shape);
        if (spec.elementCount() != count) {
            throw new IllegalArgumentException(count + " values do not fill a tensor of shape " + spec + " ("
                    + spec.elementCount() + " elements)");
        }
        return spec;
    }

    private static MemorySegment allocate(long byteCount) {
        return Arena.ofAuto().allocate(byteCount, Long.BYTES);
    }

    /** @return type and shape */
    public TensorSpec spec() {
        return spec;
    }

    /** @return the element type */
    public SafetensorsDType dtype() {
        return spec.dtype();
    }

    /** @return the sizes, a copy */
    public int[] shape() {
        return spec.shape();
    }

    /** @return the bytes as stored (little-endian elements), not a copy: do not write to it */
    public MemorySegment bytes() {
        return bytes;
    }

    /** @return the bytes as stored, copied to the heap (at most 2 GiB) */
    public byte[] toByteArray() {
        return bytes.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * The values as float32, for restoring parameters: F32 as is; F16 and BF16 widened, which is
     * exact.
     *
     * @return the values, row-major
     * @throws IllegalStateException for other types
     */
    public float[] toFloatArray() {
        int count = Math.toIntExact(spec.elementCount());
        float[] values = new float[count];
        switch (spec.dtype()) {
            case F32 -> MemorySegment.copy(bytes, F32_LE, 0, values, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = Float.float16ToFloat(bytes.getAtIndex(I16_LE, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = Float.intBitsToFloat((bytes.getAtIndex(I16_LE, i) & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalStateException("toFloatArray needs an F32, F16 or BF16 tensor, this one is "
                    + spec);
        }
        return values;
    }

    /**
     * @return the values of an I32 tensor, row-major
     * @throws IllegalStateException for other types
     */
    public int[] toIntArray() {
        requireType(SafetensorsDType.I32, "toIntArray");
        return bytes.toArray(I32_LE);
    }

    /**
     * @return the values of an I64 tensor, row-major
     * @throws IllegalStateException for other types
     */
    public long[] toLongArray() {
        requireType(SafetensorsDType.I64, "toLongArray");
        return bytes.toArray(I64_LE);
    }

    private void requireType(SafetensorsDType expected, String method) {
        if (spec.dtype() != expected) {
            throw new IllegalStateException(method + " needs an " + expected + " tensor, this one is " + spec);
        }
    }

    /**
     * The checksum a checkpoint records for this tensor: CRC32C (Castagnoli, as
     * {@link CRC32C}) over the bytes exactly as stored.
     *
     * @return the CRC32C, 0 to 2^32 - 1
     */
    public long crc32c() {
        CRC32C crc = new CRC32C();
        for (long at = 0; at < bytes.byteSize(); at += CRC_SLICE_BYTES) {
            crc.update(bytes.asSlice(at, Math.min(CRC_SLICE_BYTES, bytes.byteSize() - at)).asByteBuffer());
        }
        return crc.getValue();
    }

    /**
     * @param other another tensor
     * @return whether both have the same spec and the same bytes
     */
    public boolean contentEquals(TensorData other) {
        return spec.equals(other.spec) && bytes.mismatch(other.bytes) == -1;
    }

    /** @return e.g. "TensorData[F32 [2, 3]]" */
    @Override
    public String toString() {
        return "TensorData[" + spec + "]";
    }
}
