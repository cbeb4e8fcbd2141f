package io.zbmd.ml.data;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The contents of one IDX file: its element type, its dimension sizes and its data, kept as
 * the file's big-endian bytes (so a 60000 × 28 × 28 ubyte file takes 47 MB, not four times
 * that). It remembers where it was read from, so that checks of its shape or values can fail
 * with a {@link DatasetFormatException} naming the file and offset.
 *
 * <p>Immutable (accessors copy), so thread-safe.
 */
public final class IdxArray {
    /** In {@link #requireShape}, a dimension that may have any size. */
    public static final int ANY_SIZE = -1;

    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle FLOATS = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle DOUBLES = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private final IdxType type;
    private final int[] dimensions;
    private final byte[] data;
    private final int elementCount;
    private final Path source;
    private final DatasetFormatException.OffsetSpace offsetSpace;

    /** Takes ownership of {@code data}; the reader has checked that it matches the header. */
    IdxArray(IdxType type, int[] dimensions, byte[] data, Path source, DatasetFormatException.OffsetSpace offsetSpace) {
        this.type = Objects.requireNonNull(type, "type");
        this.dimensions = dimensions.clone();
        this.data = Objects.requireNonNull(data, "data");
        this.source = Objects.requireNonNull(source, "source");
        this.offsetSpace = Objects.requireNonNull(offsetSpace, "offsetSpace");
        long elements = 1;
        for (int size : this.dimensions) {
            elements *= size;
        }
        if (elements * type.elementBytes() != data.length) {
            throw new IllegalStateException("IDX data of " + data.length + " bytes does not match the shape "
                    + shape(type, this.dimensions));
        }
        this.elementCount = (int) elements;
    }

    /** @return the element type the header declares */
    public IdxType type() {
        return type;
    }

    /** @return how many dimensions the header declares, 1 or more */
    public int rank() {
        return dimensions.length;
    }

    /** @return a copy of the dimension sizes, outermost first */
    public int[] dimensions() {
        return dimensions.clone();
    }

    /**
     * @param axis 0 for the outermost dimension
     * @return that dimension's size
     * @throws IndexOutOfBoundsException if {@code axis} is not below {@link #rank()}
     */
    public int dimension(int axis) {
        return dimensions[Objects.checkIndex(axis, dimensions.length)];
    }

    /** @return the product of the dimension sizes */
    public int elementCount() {
        return elementCount;
    }

    /** @return the file this was read from */
    public Path source() {
        return source;
    }

    /** @return whether offsets in this array count file bytes or decompressed bytes */
    public DatasetFormatException.OffsetSpace offsetSpace() {
        return offsetSpace;
    }

    /** @return the size of the header, where the data starts: 4 + 4 × rank bytes */
    public int headerBytes() {
        return 4 + 4 * dimensions.length;
    }

    /**
     * @param index an element index in row-major order
     * @return the byte offset of that element in the (decompressed) file, for error messages
     * @throws IndexOutOfBoundsException if {@code index} is not below {@link #elementCount()}
     */
    public long elementOffsetBytes(int index) {
        Objects.checkIndex(index, elementCount);
        return headerBytes() + (long) index * type.elementBytes();
    }

    /**
     * Reads an integer element.
     *
     * @param index an element index in row-major order
     * @return the element: 0 to 255 for {@link IdxType#UBYTE}, sign-extended for the others
     * @throws IndexOutOfBoundsException if {@code index} is not below {@link #elementCount()}
     * @throws IllegalStateException if the type is {@link IdxType#FLOAT} or {@link IdxType#DOUBLE}
     */
    public int intAt(int index) {
        Objects.checkIndex(index, elementCount);
        return switch (type) {
            case UBYTE -> data[index] & 0xFF;
            case BYTE -> data[index];
            case SHORT -> (short) SHORTS.get(data, index * 2);
            case INT -> (int) INTS.get(data, index * 4);
            case FLOAT, DOUBLE -> throw new IllegalStateException(
                    "intAt on an IDX array of " + type.label() + "; use doubleAt");
        };
    }

    /**
     * Reads any element as a double (exactly: every IDX type fits in one).
     *
     * @param index an element index in row-major order
     * @return the element
     * @throws IndexOutOfBoundsException if {@code index} is not below {@link #elementCount()}
     */
    public double doubleAt(int index) {
        Objects.checkIndex(index, elementCount);
        return switch (type) {
            case FLOAT -> (float) FLOATS.get(data, index * 4);
            case DOUBLE -> (double) DOUBLES.get(data, index * 8);
            default -> intAt(index);
        };
    }

    /** @return a copy of the data as stored in the file: row-major, big-endian elements */
    public byte[] copyData() {
        return data.clone();
    }

    /** The data without a copy, for this package's datasets, which never write to it. */
    byte[] dataNoCopy() {
        return data;
    }

    /**
     * Checks the element type and the dimension sizes, as a dataset does before it trusts a file.
     *
     * @param expectedType the element type the file must declare
     * @param expectedDimensions the sizes it must declare, outermost first; {@link #ANY_SIZE} for
     *     a dimension that may have any size
     * @throws DatasetFormatException naming the file and the offset of the first header field
     *     that differs, with what was expected
     */
    public void requireShape(IdxType expectedType, int... expectedDimensions) throws DatasetFormatException {
        String expected = shape(expectedType, expectedDimensions);
        if (type != expectedType) {
            throw new DatasetFormatException(source, 2, offsetSpace, "element type " + type.label()
                    + String.format(" (0x%02X)", type.code()) + "; expected " + expected, null);
        }
        if (dimensions.length != expectedDimensions.length) {
            throw new DatasetFormatException(source, 3, offsetSpace, dimensions.length + " dimensions ("
                    + shape(type, dimensions) + "); expected " + expectedDimensions.length + " (" + expected + ")", null);
        }
        for (int axis = 0; axis < dimensions.length; axis++) {
            int wanted = expectedDimensions[axis];
            if (wanted != ANY_SIZE && wanted != dimensions[axis]) {
                throw new DatasetFormatException(source, 4 + 4L * axis, offsetSpace, "dimension " + axis + " is "
                        + dimensions[axis] + " (" + shape(type, dimensions) + "); expected " + wanted + " ("
                        + expected + ")", null);
            }
        }
    }

    /** @return e.g. "60000 × 28 × 28 ubyte", with "N" for {@link #ANY_SIZE} */
    static String shape(IdxType type, int[] dimensions) {
        StringJoiner joined = new StringJoiner(" × ", "", " " + type.label());
        for (int size : dimensions) {
            joined.add(size == ANY_SIZE ? "N" : Integer.toString(size));
        }
        return joined.toString();
    }

    /** @return e.g. "IdxArray[60000 × 28 × 28 ubyte from /path/train-images-idx3-ubyte.gz]" */
    @Override
    public String toString() {
        return "IdxArray[" + shape(type, dimensions) + " from " + source + "]";
    }

    /**
     * @param other another object
     * @return whether it is an IDX array with the same type, dimensions and data (the source is
     *     not compared)
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof IdxArray that && type == that.type && Arrays.equals(dimensions, that.dimensions)
                && Arrays.equals(data, that.data);
    }

    /** @return a hash of the type, dimensions and data */
    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(dimensions), Arrays.hashCode(data));
    }
}
