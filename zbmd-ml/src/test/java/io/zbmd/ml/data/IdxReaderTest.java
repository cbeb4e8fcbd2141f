package io.zbmd.ml.data;

import static io.zbmd.ml.data.IdxFiles.concat;
import static io.zbmd.ml.data.IdxFiles.gzip;
import static io.zbmd.ml.data.IdxFiles.header;
import static io.zbmd.ml.data.IdxFiles.idx;
import static io.zbmd.ml.data.IdxFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.zbmd.ml.data.DatasetFormatException.OffsetSpace;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class IdxReaderTest {
    private static final IdxReader READER = IdxReader.withDefaults();

    @TempDir
    Path directory;

    private static byte[] randomBytes(long seed, int count) {
        byte[] bytes = new byte[count];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void readsARawUbyteFileExactly() throws Exception {
        byte[] data = randomBytes(1, 3 * 4 * 5);
        Path file = write(directory, "images.idx", idx(IdxType.UBYTE, new int[] {3, 4, 5}, data));

        IdxArray array = READER.read(file);

        assertThat(array.type()).isEqualTo(IdxType.UBYTE);
        assertThat(array.dimensions()).containsExactly(3, 4, 5);
        assertThat(array.elementCount()).isEqualTo(60);
        assertThat(array.copyData()).isEqualTo(data);
        assertThat(array.intAt(7)).isEqualTo(data[7] & 0xFF);
        assertThat(array.doubleAt(59)).isEqualTo(data[59] & 0xFF);
        assertThat(array.offsetSpace()).isEqualTo(OffsetSpace.FILE);
        assertThat(array.elementOffsetBytes(2)).isEqualTo(16 + 2);
    }

    @Test
    void readsGzipByItsMagicWhateverTheFileName() throws Exception {
        byte[] raw = idx(IdxType.UBYTE, new int[] {10, 7}, randomBytes(2, 70));
        Path gzipWithoutSuffix = write(directory, "plain.idx", gzip(raw));
        Path rawWithGzSuffix = write(directory, "not-really.gz", raw);

        IdxArray fromGzip = READER.read(gzipWithoutSuffix);
        IdxArray fromRaw = READER.read(rawWithGzSuffix);

        assertThat(fromGzip).isEqualTo(fromRaw);
        assertThat(fromGzip.copyData()).isEqualTo(Arrays.copyOfRange(raw, 12, raw.length));
        assertThat(fromGzip.offsetSpace()).isEqualTo(OffsetSpace.DECOMPRESSED);
        assertThat(fromRaw.offsetSpace()).isEqualTo(OffsetSpace.FILE);
    }

    @ParameterizedTest
    @EnumSource(IdxType.class)
    void readsEveryElementTypeBigEndian(IdxType type) throws Exception {
        double[] values = {0, 1, -2, 100, -128, 127};
        ByteBuffer data = ByteBuffer.allocate(values.length * type.elementBytes()).order(ByteOrder.BIG_ENDIAN);
        for (double value : values) {
            switch (type) {
                case UBYTE -> data.put((byte) Math.abs(value)); // kept in 0..128
                case BYTE -> data.put((byte) value);
                case SHORT -> data.putShort((short) (value * 200));
                case INT -> data.putInt((int) (value * 1_000_000));
                case FLOAT -> data.putFloat((float) (value + 0.25));
                case DOUBLE -> data.putDouble(value / 3);
            }
        }
        for (boolean compressed : new boolean[] {false, true}) {
            byte[] raw = idx(type, new int[] {2, 3}, data.array());
            IdxArray array = READER.read(write(directory, type + "-" + compressed, compressed ? gzip(raw) : raw));
            for (int i = 0; i < values.length; i++) {
                double expected = switch (type) {
                    case UBYTE -> Math.abs(values[i]);
                    case BYTE -> values[i];
                    case SHORT -> values[i] * 200;
                    case INT -> values[i] * 1_000_000;
                    case FLOAT -> (float) (values[i] + 0.25);
                    case DOUBLE -> values[i] / 3;
                };
                assertThat(array.doubleAt(i)).as("%s element %d, compressed %s", type, i, compressed).isEqualTo(expected);
                if (type != IdxType.FLOAT && type != IdxType.DOUBLE) {
                    assertThat(array.intAt(i)).isEqualTo((int) expected);
                }
            }
        }
    }

    @Test
    void intAtRefusesFloatingPointArrays() throws Exception {
        byte[] raw = idx(IdxType.FLOAT, new int[] {1}, new byte[4]);
        IdxArray array = READER.read(write(directory, "f.idx", raw));
        assertThatThrownBy(() -> array.intAt(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("doubleAt");
    }

    @Test
    void readsConcatenatedGzipMembersAsOneStream() throws Exception {
        byte[] raw = idx(IdxType.UBYTE, new int[] {100}, randomBytes(3, 100));
        byte[] twoMembers = concat(gzip(Arrays.copyOfRange(raw, 0, 30)), gzip(Arrays.copyOfRange(raw, 30, raw.length)));

        IdxArray array = READER.read(write(directory, "two.gz", twoMembers));

        assertThat(array.copyData()).isEqualTo(Arrays.copyOfRange(raw, 8, raw.length));
    }

    @Test
    void readsGzipHeadersWithExtraFieldNameCommentAndHeaderCrc() throws Exception {
        byte[] raw = idx(IdxType.UBYTE, new int[] {4, 4}, randomBytes(4, 16));
        byte[] gzip = handMadeGzip(raw, true);

        IdxArray array = READER.read(write(directory, "fancy.gz", gzip));

        assertThat(array.copyData()).isEqualTo(Arrays.copyOfRange(raw, 12, raw.length));
        assertThat(IdxFiles.gunzip(gzip)).as("the JDK agrees the hand-made gzip is valid").isEqualTo(raw);
    }

    @Test
    void readsAnArrayWithAZeroDimension() throws Exception {
        IdxArray array = READER.read(write(directory, "empty.idx", header(0x08, 0, 28, 28)));
        assertThat(array.elementCount()).isZero();
        assertThat(array.dimensions()).containsExactly(0, 28, 28);
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        assertThatThrownBy(() -> READER.read(directory.resolve("absent.idx"))).isInstanceOf(NoSuchFileException.class);
    }

    /** Malformed IDX content: the same offset and problem whether the file is raw or gzip. */
    static Stream<Arguments> malformed() {
        byte[] tenBytes = header(0x08, 10);
        return Stream.of(
                Arguments.of("empty", new byte[0], 0, "ends inside the 4-byte IDX magic; expected 0x00 0x00"),
                Arguments.of("short magic", new byte[] {0, 0}, 2, "ends inside the 4-byte IDX magic"),
                Arguments.of("wrong magic", concat(new byte[] {1}, Arrays.copyOfRange(tenBytes, 1, 8), new byte[10]), 0,
                        "wrong magic: bytes 0x01 0x00; expected 0x00 0x00"),
                Arguments.of("wrong second magic byte", new byte[] {0, 7, 8, 1, 0, 0, 0, 0}, 1, "wrong magic: bytes 0x00 0x07"),
                Arguments.of("unknown type", concat(header(0x07, 1), new byte[1]), 2,
                        "unknown IDX element type 0x07; expected one of 0x08 (ubyte), 0x09 (byte), 0x0B (short), "
                                + "0x0C (int), 0x0D (float), 0x0E (double)"),
                Arguments.of("zero dimension count", header(0x08), 3, "dimension count 0; expected 1 to 16"),
                Arguments.of("absurd dimension count", new byte[] {0, 0, 8, (byte) 200, 0, 0, 0, 1}, 3,
                        "dimension count 200 is absurd; expected 1 to 16"),
                Arguments.of("negative dimension", header(0x08, 2, -3), 8,
                        "dimension 1 is negative (-3); expected a size of 0 or more"),
                Arguments.of("product overflow", header(0x0C, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE), 12,
                        "overflows 64 bits at dimension 2"),
                Arguments.of("element size overflow", header(0x0E, 1 << 30, 1 << 30, 4), 4,
                        "overflows 64 bits; expected a size that fits in memory"),
                Arguments.of("truncated dimension sizes", Arrays.copyOf(header(0x08, 1, 1, 1), 10), 10,
                        "truncated: the data ends inside the dimension sizes; expected 3 big-endian int32 sizes at bytes 4 to 15"),
                Arguments.of("truncated data", concat(tenBytes, new byte[7]), 15, "truncated"),
                Arguments.of("trailing garbage", concat(tenBytes, new byte[13]), 18, "trailing garbage"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedRawFilesFailNamingFileOffsetAndExpectation(String name, byte[] content, long offset, String detail) {
        Path file = write(directory, "bad.idx", content);
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));
        assertThat(e).as(name).isNotNull();
        assertThat(e.getMessage()).startsWith(file + ": at byte offset " + offset + ": ").contains(detail);
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.offsetBytes()).isEqualTo(offset);
        assertThat(e.offsetSpace()).isEqualTo(OffsetSpace.FILE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedGzipContentFailsAtTheDecompressedOffset(String name, byte[] content, long offset, String detail) {
        Path file = write(directory, "bad.idx.gz", gzip(content));
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));
        assertThat(e).as(name).isNotNull();
        assertThat(e.getMessage()).startsWith(file + ": at byte offset " + offset + " of the decompressed data: ")
                .contains(detail);
        assertThat(e.offsetSpace()).isEqualTo(OffsetSpace.DECOMPRESSED);
    }

    @Test
    void truncatedAndOverlongRawFilesSayWhatTheHeaderPromised() {
        Path shortFile = write(directory, "short.idx", concat(header(0x08, 2, 5), new byte[7]));
        assertThatThrownBy(() -> READER.read(shortFile)).hasMessage(shortFile + ": at byte offset 19: truncated: the "
                + "file ends at byte 19; expected 10 bytes of data (2 × 5 ubyte) ending at byte 22, as the header promises");

        Path longFile = write(directory, "long.idx", concat(header(0x08, 2, 5), new byte[12]));
        assertThatThrownBy(() -> READER.read(longFile)).hasMessage(longFile + ": at byte offset 22: trailing garbage: "
                + "2 bytes after the data the header promises (2 × 5 ubyte); expected the file to end at byte 22");
    }

    @Test
    void truncatedGzipDataSaysHowMuchArrived() {
        Path file = write(directory, "short.gz", gzip(concat(header(0x08, 2, 5), new byte[7])));
        assertThatThrownBy(() -> READER.read(file)).hasMessage(file + ": at byte offset 19 of the decompressed data: "
                + "truncated: the data ends after 7 of the 10 bytes the header promises (2 × 5 ubyte); expected the "
                + "data to end at byte 22");
    }

    // --- gzip framing and deflate errors: offsets in the compressed file ---

    private static byte[] validGzip() {
        return gzip(idx(IdxType.UBYTE, new int[] {50}, randomBytes(5, 50)));
    }

    private DatasetFormatException gzipFailure(byte[] content) {
        Path file = write(directory, "framing.gz", content);
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).startsWith(file + ": at byte offset " + e.offsetBytes() + ": ");
        assertThat(e.offsetSpace()).isEqualTo(OffsetSpace.FILE);
        return e;
    }

    @Test
    void corruptDeflateDataFailsAtItsOffset() {
        byte[] gzip = validGzip();
        gzip[10] = 0x07; // BFINAL = 1, BTYPE = 11: a reserved block type
        DatasetFormatException e = gzipFailure(gzip);
        assertThat(e.offsetBytes()).isBetween(10L, 11L);
        assertThat(e.detail()).startsWith("corrupt deflate data (").endsWith("); expected a valid deflate stream");
        assertThat(e.getCause()).isInstanceOf(java.util.zip.DataFormatException.class);
    }

    @Test
    void aWrongCrcOrSizeInTheTrailerFails() {
        byte[] badCrc = validGzip();
        badCrc[badCrc.length - 8] ^= 1;
        DatasetFormatException crc = gzipFailure(badCrc);
        assertThat(crc.offsetBytes()).isEqualTo(badCrc.length - 8);
        assertThat(crc.detail()).contains("gzip CRC-32 0x").contains("in the trailer; expected 0x");

        byte[] badSize = validGzip();
        badSize[badSize.length - 4] ^= 1;
        DatasetFormatException size = gzipFailure(badSize);
        assertThat(size.offsetBytes()).isEqualTo(badSize.length - 4);
        assertThat(size.detail()).isEqualTo("gzip size 59 in the trailer; expected 58, the decompressed member's "
                + "size modulo 2^32");
    }

    @Test
    void everyTruncationOfAGzipFileFails() {
        byte[] gzip = validGzip();
        for (int length = 0; length < gzip.length; length++) {
            Path file = write(directory, "cut.gz", Arrays.copyOf(gzip, length));
            DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));
            assertThat(e).as("cut at %d of %d", length, gzip.length).isNotNull();
            assertThat(e.getMessage()).as("cut at %d", length).contains("at byte offset").contains("expected");
            if (length >= 2) {
                assertThat(e.detail()).as("cut at %d", length).startsWith("truncated: the file ends inside");
                assertThat(e.offsetBytes()).as("cut at %d", length).isEqualTo(length);
            }
        }
    }

    @Test
    void garbageAfterTheLastGzipMemberFails() {
        byte[] gzip = validGzip();
        DatasetFormatException e = gzipFailure(concat(gzip, new byte[] {0, 0, 0, 0}));
        assertThat(e.offsetBytes()).isEqualTo(gzip.length);
        assertThat(e.detail()).isEqualTo("bytes 0x00 0x00 where a gzip member must start; expected the gzip magic "
                + "0x1F 0x8B or the end of the file");
    }

    @Test
    void anUnknownMethodOrReservedFlagOrBadHeaderCrcFails() {
        byte[] method = validGzip();
        method[2] = 7;
        assertThat(gzipFailure(method).getMessage()).contains("at byte offset 2: gzip compression method 7; "
                + "expected 8 (deflate)");

        byte[] flags = validGzip();
        flags[3] = (byte) 0x20;
        assertThat(gzipFailure(flags).getMessage()).contains("at byte offset 3: gzip flags 0x20 set reserved bits");

        byte[] headerCrc = handMadeGzip(idx(IdxType.UBYTE, new int[] {1}, new byte[1]), true);
        int crcOffset = Arrays.asList(boxed(headerCrc)).indexOf((byte) 'c') + "comment".length() + 1;
        headerCrc[crcOffset] ^= 1;
        DatasetFormatException e = gzipFailure(headerCrc);
        assertThat(e.offsetBytes()).isEqualTo(crcOffset);
        assertThat(e.detail()).startsWith("gzip header CRC 0x");
    }

    private static Byte[] boxed(byte[] bytes) {
        Byte[] boxed = new Byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            boxed[i] = bytes[i];
        }
        return boxed;
    }

    // --- lying headers and the memory limit ---

    @Test
    void aRawFileDeclaring2To31BytesFailsBeforeAllocating() {
        Path file = write(directory, "liar.idx", concat(header(0x08, 2, 1 << 30), new byte[8]));
        long allocatedBefore = threadAllocatedBytes();

        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));

        assertThat(e.getMessage()).isEqualTo(file + ": at byte offset 20: truncated: the file ends at byte 20; "
                + "expected 2147483648 bytes of data (2 × 1073741824 ubyte) ending at byte 2147483660, as the header "
                + "promises");
        assertAllocatedLessThan(allocatedBefore, 1 << 20);
    }

    @Test
    void aGzipFileDeclaringMoreThanAnArrayHoldsFailsBeforeAllocating() {
        Path file = write(directory, "liar.gz", gzip(concat(header(0x08, 2, 1 << 30), new byte[8])));
        assertThatThrownBy(() -> READER.read(file)).hasMessage(file + ": at byte offset 4 of the decompressed data: "
                + "the header declares 2 × 1073741824 ubyte = 2147483648 bytes of data; expected at most 2147483639 "
                + "bytes, the most one Java array holds (this reader keeps a file's data in one array)");
    }

    @Test
    void aGzipFileDeclaringMoreThanTheLimitSaysHowToRaiseIt() {
        Path file = write(directory, "big.gz", gzip(concat(header(0x08, 200), new byte[200])));
        IdxReader small = IdxReader.withDefaults().withDataBytesMax(100);
        assertThatThrownBy(() -> small.read(file)).hasMessage(file + ": at byte offset 4 of the decompressed data: "
                + "the header declares 200 ubyte = 200 bytes of data; expected at most dataBytesMax = 100 bytes (raise "
                + "the limit with IdxReader.withDefaults().withDataBytesMax(bytes), up to 2147483639)");
        assertThat(IdxReader.withDefaults().withDataBytesMax(200).dataBytesMax()).isEqualTo(200);
    }

    @Test
    void aSmallGzipFileDeclaringHalfAGigabyteFailsAtItsEndHavingAllocatedLittle() {
        int declaredBytes = 1 << 29;
        Path file = write(directory, "liar.gz", gzip(concat(header(0x08, declaredBytes), randomBytes(6, 100_000))));
        long allocatedBefore = threadAllocatedBytes();

        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> READER.read(file));

        assertThat(e.getMessage()).isEqualTo(file + ": at byte offset 100008 of the decompressed data: truncated: the "
                + "data ends after 100000 of the 536870912 bytes the header promises (536870912 ubyte); expected the data "
                + "to end at byte 536870920");
        assertAllocatedLessThan(allocatedBefore, 8 << 20);
    }

    @Test
    void theLimitIsValidated() {
        assertThatThrownBy(() -> IdxReader.withDefaults().withDataBytesMax(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataBytesMax must be 1 to");
        assertThatThrownBy(() -> IdxReader.withDefaults().withDataBytesMax(1L << 31))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void requireShapeNamesTheHeaderFieldThatDiffers() throws Exception {
        Path file = write(directory, "shape.idx", idx(IdxType.UBYTE, new int[] {2, 28, 27}, new byte[2 * 28 * 27]));
        IdxArray array = READER.read(file);

        array.requireShape(IdxType.UBYTE, IdxArray.ANY_SIZE, 28, 27);
        assertThatThrownBy(() -> array.requireShape(IdxType.UBYTE, IdxArray.ANY_SIZE, 28, 28)).hasMessage(file
                + ": at byte offset 12: dimension 2 is 27 (2 × 28 × 27 ubyte); expected 28 (N × 28 × 28 ubyte)");
        assertThatThrownBy(() -> array.requireShape(IdxType.FLOAT, IdxArray.ANY_SIZE, 28, 27))
                .hasMessage(file + ": at byte offset 2: element type ubyte (0x08); expected N × 28 × 27 float");
        assertThatThrownBy(() -> array.requireShape(IdxType.UBYTE, IdxArray.ANY_SIZE))
                .hasMessage(file + ": at byte offset 3: 3 dimensions (2 × 28 × 27 ubyte); expected 1 (N ubyte)");
    }

    /**
     * A gzip member written field by field: FEXTRA, FNAME and FCOMMENT always, FHCRC if asked,
     * around a raw deflate stream.
     */
    static byte[] handMadeGzip(byte[] raw, boolean headerCrc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int flags = 0x04 | 0x08 | 0x10 | (headerCrc ? 0x02 : 0);
        out.writeBytes(new byte[] {0x1F, (byte) 0x8B, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
        out.writeBytes(new byte[] {5, 0, 'x', 'y', 2, 0, 'z'}); // XLEN = 5, one subfield
        out.writeBytes("name.idx\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        out.writeBytes("comment\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        if (headerCrc) {
            CRC32 crc = new CRC32();
            crc.update(out.toByteArray());
            out.write((int) crc.getValue() & 0xFF);
            out.write((int) (crc.getValue() >>> 8) & 0xFF);
        }
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(raw);
        deflater.finish();
        byte[] chunk = new byte[256];
        while (!deflater.finished()) {
            out.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        CRC32 dataCrc = new CRC32();
        dataCrc.update(raw);
        ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        trailer.putInt((int) dataCrc.getValue()).putInt(raw.length);
        out.writeBytes(trailer.array());
        return out.toByteArray();
    }

    private static long threadAllocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Allocation is counted, not timed: deterministic up to the JVM's small internal allocations. */
    private static void assertAllocatedLessThan(long allocatedBefore, long bytesMax) {
        long allocated = threadAllocatedBytes() - allocatedBefore;
        if (allocatedBefore >= 0) { // -1 where the JVM does not measure allocation
            assertThat(allocated).as("bytes allocated while reading").isLessThan(bytesMax);
        }
    }
}
