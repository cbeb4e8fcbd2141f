package io.zbmd.ml.data;

import static io.zbmd.ml.data.IdxFiles.concat;
import static io.zbmd.ml.data.IdxFiles.gzip;
import static io.zbmd.ml.data.IdxFiles.header;
import static io.zbmd.ml.data.IdxFiles.idx;
import static io.zbmd.ml.data.IdxFiles.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    private static final String HOW_TO_GET_IT = "install Debian's dataset-fashion-mnist package (apt-get install "
            + "dataset-fashion-mnist) or pass --data DIR pointing at a directory with the four IDX files";

    @TempDir
    Path directory;

    private static boolean installed() {
        for (String name : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
            if (!Files.isRegularFile(FashionMnist.DEFAULT_DIRECTORY.resolve(name))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void loadsTheRealDatasetWhenInstalled() throws IOException {
        assumeTrue(installed(), "Fashion-MNIST is not installed in " + FashionMnist.DEFAULT_DIRECTORY);

        FashionMnist data = FashionMnist.load(FashionMnist.DEFAULT_DIRECTORY);

        assertThat(data.train().size()).isEqualTo(60_000);
        assertThat(data.test().size()).isEqualTo(10_000);
        for (ImageDataset split : new ImageDataset[] {data.train(), data.test()}) {
            assertThat(split.rows()).isEqualTo(28);
            assertThat(split.columns()).isEqualTo(28);
            assertThat(split.featuresPerSample()).isEqualTo(784);
            assertThat(split.classNames()).hasSize(10).startsWith("T-shirt/top").endsWith("Ankle boot");
            int[] perClass = new int[10];
            for (int sample = 0; sample < split.size(); sample++) {
                perClass[split.label(sample)]++;
            }
            // The published dataset is balanced: 6000 training and 1000 test images per class.
            assertThat(perClass).as(split.name()).containsOnly(split.size() / 10);
        }
        assertThat(data.train().label(0)).as("the first training image is an ankle boot").isEqualTo(9);
    }

    @Test
    void realImagesMatchTheJdkDecompression() throws IOException {
        assumeTrue(installed(), "Fashion-MNIST is not installed in " + FashionMnist.DEFAULT_DIRECTORY);
        Path file = FashionMnist.DEFAULT_DIRECTORY.resolve("t10k-images-idx3-ubyte.gz");
        byte[] jdk;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            jdk = in.readAllBytes();
        }

        IdxArray ours = IdxReader.withDefaults().read(file);

        assertThat(ours.dimensions()).containsExactly(10_000, 28, 28);
        assertThat(Arrays.equals(ours.copyData(), Arrays.copyOfRange(jdk, 16, jdk.length))).isTrue();
    }

    @Test
    void aMissingDirectorySaysHowToGetTheData() {
        Path absent = directory.resolve("nowhere");
        DatasetNotFoundException e = catchThrowableOfType(DatasetNotFoundException.class,
                () -> FashionMnist.load(absent));
        assertThat(e.getMessage()).isEqualTo("Fashion-MNIST directory " + absent + " does not exist; " + HOW_TO_GET_IT);
        assertThat(e.missingPaths()).containsExactly(absent);
    }

    @Test
    void missingFilesAreAllListedWithHowToGetThem() {
        writeSplit("train", 3, false, false);
        DatasetNotFoundException e = catchThrowableOfType(DatasetNotFoundException.class,
                () -> FashionMnist.load(directory));
        assertThat(e.getMessage()).isEqualTo("Fashion-MNIST files missing in " + directory
                + ": t10k-images-idx3-ubyte.gz (or t10k-images-idx3-ubyte), t10k-labels-idx1-ubyte.gz (or "
                + "t10k-labels-idx1-ubyte); " + HOW_TO_GET_IT);
        assertThat(e.missingPaths()).containsExactly(directory.resolve("t10k-images-idx3-ubyte"),
                directory.resolve("t10k-labels-idx1-ubyte"));
    }

    @Test
    void loadsRawAndGzipFilesAndKeepsTheirContents() throws IOException {
        byte[][] train = writeSplit("train", 5, true, false);
        byte[][] test = writeSplit("t10k", 3, false, true);

        FashionMnist data = FashionMnist.load(directory);

        assertThat(data.directory()).isEqualTo(directory);
        assertSameSamples(data.train(), train);
        assertSameSamples(data.test(), test);
        assertThat(data.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
    }

    private static void assertSameSamples(ImageDataset split, byte[][] written) {
        byte[] pixels = written[0];
        byte[] labels = written[1];
        assertThat(split.size()).isEqualTo(labels.length);
        for (int sample = 0; sample < labels.length; sample++) {
            assertThat(split.label(sample)).isEqualTo(labels[sample]);
            for (int feature = 0; feature < 784; feature++) {
                assertThat(split.pixel(sample, feature)).isEqualTo(pixels[sample * 784 + feature] & 0xFF);
            }
        }
    }

    @Test
    void imagesOfTheWrongSizeFailNamingTheDimension() {
        writeSplit("t10k", 2, false, false);
        writeLabels("train", new byte[] {1, 2});
        Path images = write(directory, "train-images-idx3-ubyte.gz",
                gzip(idx(IdxType.UBYTE, new int[] {2, 28, 27}, new byte[2 * 28 * 27])));
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> FashionMnist.load(directory));
        assertThat(e.getMessage()).isEqualTo(images + ": at byte offset 12 of the decompressed data: dimension 2 is 27 "
                + "(2 × 28 × 27 ubyte); expected 28 (N × 28 × 28 ubyte)");
    }

    @Test
    void imagesOfTheWrongTypeFailAtTheTypeByte() {
        writeSplit("t10k", 2, false, false);
        writeLabels("train", new byte[] {1, 2});
        Path images = write(directory, "train-images-idx3-ubyte", idx(IdxType.BYTE, new int[] {2, 28, 28}, new byte[2 * 784]));
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> FashionMnist.load(directory));
        assertThat(e.getMessage()).isEqualTo(images + ": at byte offset 2: element type byte (0x09); expected "
                + "N × 28 × 28 ubyte");
    }

    @Test
    void aLabelCountThatDiffersFromTheImageCountFails() {
        writeSplit("t10k", 2, false, false);
        Path images = write(directory, "train-images-idx3-ubyte.gz",
                gzip(idx(IdxType.UBYTE, new int[] {3, 28, 28}, new byte[3 * 784])));
        Path labels = writeLabels("train", new byte[] {1, 2});
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> FashionMnist.load(directory));
        assertThat(e.getMessage()).isEqualTo(labels + ": at byte offset 4 of the decompressed data: 2 labels; "
                + "expected 3, one per image in " + images);
    }

    @Test
    void aLabelOutsideTheTenClassesFailsAtItsOffset() {
        writeSplit("train", 2, false, false);
        write(directory, "t10k-images-idx3-ubyte", idx(IdxType.UBYTE, new int[] {5, 28, 28}, new byte[5 * 784]));
        Path labels = write(directory, "t10k-labels-idx1-ubyte", concat(header(0x08, 5), new byte[] {0, 9, 3, 10, 1}));
        DatasetFormatException e = catchThrowableOfType(DatasetFormatException.class, () -> FashionMnist.load(directory));
        assertThat(e.getMessage()).isEqualTo(labels + ": at byte offset 11: label 10 of sample 3; expected a class "
                + "0 to 9");
    }

    /**
     * Writes {@code prefix-images-idx3-ubyte(.gz)} and {@code prefix-labels-idx1-ubyte(.gz)}
     * with random content.
     *
     * @return {pixels, labels}
     */
    private byte[][] writeSplit(String prefix, int count, boolean gzipImages, boolean gzipLabels) {
        SplittableRandom random = new SplittableRandom(prefix.hashCode() + count);
        byte[] pixels = new byte[count * 784];
        random.nextBytes(pixels);
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        byte[] images = idx(IdxType.UBYTE, new int[] {count, 28, 28}, pixels);
        write(directory, prefix + "-images-idx3-ubyte" + (gzipImages ? ".gz" : ""), gzipImages ? gzip(images) : images);
        byte[] labelFile = idx(IdxType.UBYTE, new int[] {count}, labels);
        write(directory, prefix + "-labels-idx1-ubyte" + (gzipLabels ? ".gz" : ""), gzipLabels ? gzip(labelFile) : labelFile);
        return new byte[][] {pixels, labels};
    }

    private Path writeLabels(String prefix, byte[] labels) {
        return write(directory, prefix + "-labels-idx1-ubyte.gz", gzip(idx(IdxType.UBYTE, new int[] {labels.length}, labels)));
    }
}
