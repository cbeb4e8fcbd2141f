package io.zbmd.ml.data;

import java.util.Optional;

/**
 * The element types an IDX file may declare in its third byte. Multi-byte elements are stored
 * big-endian.
 *
 * <p>Immutable, so thread-safe.
 */
public enum IdxType {
    /** Unsigned 8-bit integer, 0 to 255 (images and labels of MNIST and Fashion-MNIST). */
    UBYTE(0x08, 1),
    /** Signed 8-bit integer. */
    BYTE(0x09, 1),
    /** Signed 16-bit integer. */
    SHORT(0x0B, 2),
    /** Signed 32-bit integer. */
    INT(0x0C, 4),
    /** IEEE 754 single precision. */
    FLOAT(0x0D, 4),
    /** IEEE 754 double precision. */
    DOUBLE(0x0E, 8);

    private final int code;
    private final int elementBytes;

    IdxType(int code, int elementBytes) {
        this.code = code;
        this.elementBytes = elementBytes;
    }

    /** @return the type byte that declares this type in an IDX header */
    public int code() {
        return code;
    }

    /** @return how many bytes one element takes */
    public int elementBytes() {
        return elementBytes;
    }

    /**
     * @param code a type byte, 0 to 255
     * @return the type it declares, or empty if IDX defines no such type
     */
    public static Optional<IdxType> ofCode(int code) {
        for (IdxType type : values()) {
            if (type.code == code) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** @return the known types with their codes, for error messages: "0x08 (ubyte), ..." */
    static String knownCodes() {
        StringBuilder known = new StringBuilder();
        for (IdxType type : values()) {
            if (!known.isEmpty()) {
                known.append(", ");
            }
            known.append(String.format("0x%02X (%s)", type.code, type.label()));
        }
        return known.toString();
    }

    /** @return the lower-case name used in messages and shapes: "ubyte", "float", ... */
    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
