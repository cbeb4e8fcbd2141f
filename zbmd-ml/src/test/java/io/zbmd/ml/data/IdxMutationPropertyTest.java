package io.zbmd.ml.data;

import io.zbmd.testing.Seeds;
import static io.zbmd.ml.data.IdxFiles.concat;
import static io.zbmd.ml.data.IdxFiles.gzip;
import static io.zbmd.ml.data.IdxFiles.idx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.zbmd.ml.data.DatasetFormatException.OffsetSpace;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parsers against random bytes: a small valid IDX file (raw, gzip, or two gzip members) is
 * mutated by its seed (bytes overwritten, truncated, cut out, inserted, appended) and read.
 * Each case must either read, and then be exactly what its bytes say (the raw bytes, or the
 * JDK's decompression of them, re-encode the result), or fail with a
 * {@link DatasetFormatException} whose message names the file and an offset inside it.
 * Anything else (another exception, an error, a hang) fails the case with its seed.
 */
class IdxMutationPropertyTest {
    @TempDir
    Path directory;

    static Stream<Long> seeds() {
        return Seeds.of(600);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    // A hang guard, not a timing assertion: a case reads a few hundred bytes in well under a
    // millisecond, and a separate thread lets the guard fire even if the reader never returns.
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMutatedFileReadsExactlyOrFailsWithTheDocumentedException(long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] valid = randomValidIdx(random);
        int encoding = random.nextInt(3);
        byte[] stored = switch (encoding) {
            case 0 -> valid;
            case 1 -> gzip(valid);
            default -> {
                int cut = random.nextInt(valid.length + 1);
                yield concat(gzip(Arrays.copyOf(valid, cut)), gzip(Arrays.copyOfRange(valid, cut, valid.length)));
            }
        };
        List<String> mutations = new ArrayList<>();
        byte[] mutated = mutate(stored, random, mutations);
        String replay = Seeds.replay(seed) + ", encoding " + encoding + ", mutations " + mutations;
        Path file = Files.write(directory.resolve("mutated-" + seed), mutated);

        try {
            IdxArray array = IdxReader.withDefaults().read(file);
            byte[] content = isGzip(mutated) ? IdxFiles.gunzip(mutated) : mutated;
            assertThat(encode(array)).as("what was read, re-encoded, %s", replay).isEqualTo(content);
        } catch (DatasetFormatException e) {
            assertThat(e.getMessage()).as(replay).startsWith(file + ": at byte offset " + e.offsetBytes())
                    .contains("expected");
            assertThat(e.file()).as(replay).isEqualTo(file);
            if (e.offsetSpace() == OffsetSpace.FILE) {
                assertThat(e.offsetBytes()).as(replay).isBetween(0L, (long) mutated.length);
            }
        } catch (Throwable other) {
            fail("not the documented exception, " + replay, other);
        }
    }

    private static byte[] randomValidIdx(SplittableRandom random) {
        IdxType type = IdxType.values()[random.nextInt(IdxType.values().length)];
        int[] dimensions = new int[1 + random.nextInt(3)];
        int elements = 1;
        for (int axis = 0; axis < dimensions.length; axis++) {
            dimensions[axis] = random.nextInt(6);
            elements *= dimensions[axis];
        }
        byte[] data = new byte[elements * type.elementBytes()];
        random.nextBytes(data);
        return idx(type, dimensions, data);
    }

    private static byte[] mutate(byte[] original, SplittableRandom random, List<String> log) {
        byte[] bytes = original;
        int count = 1 + random.nextInt(3);
        for (int m = 0; m < count; m++) {
            int at = random.nextInt(bytes.length + 1);
            switch (random.nextInt(5)) {
                case 0 -> {
                    if (at < bytes.length) {
                        bytes = bytes.clone();
                        bytes[at] = (byte) random.nextInt(256);
                        log.add("set " + at + "=" + (bytes[at] & 0xFF));
                    }
                }
                case 1 -> {
                    bytes = Arrays.copyOf(bytes, at);
                    log.add("truncate " + at);
                }
                case 2 -> {
                    int end = Math.min(bytes.length, at + 1 + random.nextInt(8));
                    bytes = concat(Arrays.copyOf(bytes, at), Arrays.copyOfRange(bytes, end, bytes.length));
                    log.add("cut " + at + ".." + end);
                }
                case 3 -> {
                    byte[] inserted = new byte[1 + random.nextInt(8)];
                    random.nextBytes(inserted);
                    bytes = concat(Arrays.copyOf(bytes, at), inserted, Arrays.copyOfRange(bytes, at, bytes.length));
                    log.add("insert " + inserted.length + " at " + at);
                }
                default -> {
                    byte[] appended = new byte[1 + random.nextInt(8)];
                    random.nextBytes(appended);
                    bytes = concat(bytes, appended);
                    log.add("append " + appended.length);
                }
            }
        }
        return bytes;
    }

    private static boolean isGzip(byte[] bytes) {
        return bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B;
    }

    /** The IDX bytes that describe {@code array}: header, then data. */
    private static byte[] encode(IdxArray array) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(array.headerBytes());
        header.put((byte) 0).put((byte) 0).put((byte) array.type().code()).put((byte) array.rank());
        for (int size : array.dimensions()) {
            header.putInt(size);
        }
        out.writeBytes(header.array());
        out.writeBytes(array.copyData());
        return out.toByteArray();
    }
}
