package io.zbmd.ml.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Zalando's Fashion-MNIST: 28 × 28 greyscale images of clothing in ten classes, 60000 for
 * training and 10000 for testing, as four IDX files. {@link #load(Path)} reads them from a
 * directory (by default Debian's {@code dataset-fashion-mnist} package's), gzip or raw, and
 * checks their shapes and labels before anything trusts them.
 *
 * <p>Immutable, so thread-safe.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
    /** Image height and width in pixels. */
    public static final int IMAGE_SIDE_PIXELS = 28;
    /** The class names, indexed by label, as the dataset's README lists them. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Mean of all training pixels scaled to [0, 1], for {@link DataLoaderConfig#withStandardization}. */
    public static final float TRAIN_PIXEL_MEAN = 0.2860406f;
    /** Standard deviation of all training pixels scaled to [0, 1]. */
    public static final float TRAIN_PIXEL_STD = 0.3530242f;

    /** How to get the data, in every "missing" message. */
    static final String HOW_TO_GET_IT = "install Debian's dataset-fashion-mnist package (apt-get install "
            + "dataset-fashion-mnist) or pass --data DIR pointing at a directory with the four IDX files";

    private final Path directory;
    private final ImageDataset train;
    private final ImageDataset test;

    private FashionMnist(Path directory, ImageDataset train, ImageDataset test) {
        this.directory = directory;
        this.train = train;
        this.test = test;
    }

    /**
     * Loads the four files from a directory. Each is looked for as {@code NAME.gz} first, then as
     * {@code NAME} (e.g. {@code train-images-idx3-ubyte.gz}, then {@code train-images-idx3-ubyte});
     * either may be raw or gzip.
     *
     * @param directory the directory, e.g. {@link #DEFAULT_DIRECTORY} or a user's {@code --data DIR}
     * @return both splits
     * @throws DatasetNotFoundException if the directory or any of the files is missing; the
     *     message lists them all and says how to get the data
     * @throws DatasetFormatException if a file is not valid IDX, images are not N × 28 × 28
     *     ubyte, labels not N ubyte with the same N, or a label is not 0 to 9
     * @throws IOException if a file cannot be read
     */
    public static FashionMnist load(Path directory) throws IOException {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isDirectory(directory)) {
            String problem = Files.exists(directory) ? " is not a directory" : " does not exist";
            throw new DatasetNotFoundException("Fashion-MNIST directory " + directory + problem + "; " + HOW_TO_GET_IT,
                    List.of(directory));
        }
        List<Path> missing = new ArrayList<>();
        Path trainImages = locate(directory, "train-images-idx3-ubyte", missing);
        Path trainLabels = locate(directory, "train-labels-idx1-ubyte", missing);
        Path testImages = locate(directory, "t10k-images-idx3-ubyte", missing);
        Path testLabels = locate(directory, "t10k-labels-idx1-ubyte", missing);
        if (!missing.isEmpty()) {
            StringBuilder message = new StringBuilder("Fashion-MNIST files missing in ").append(directory).append(':');
            for (Path path : missing) {
                message.append(' ').append(path.getFileName()).append(".gz (or ").append(path.getFileName()).append("),");
            }
            message.setLength(message.length() - 1);
            throw new DatasetNotFoundException(message + "; " + HOW_TO_GET_IT, missing);
        }
        IdxReader reader = IdxReader.withDefaults();
        ImageDataset train = split("fashion-mnist/train", reader.read(trainImages), reader.read(trainLabels));
        ImageDataset test = split("fashion-mnist/test", reader.read(testImages), reader.read(testLabels));
        return new FashionMnist(directory, train, test);
    }

    /** @return the path of {@code name.gz} or {@code name}, or null after adding {@code name} to missing */
    private static Path locate(Path directory, String name, List<Path> missing) {
        for (String candidate : List.of(name + ".gz", name)) {
            Path path = directory.resolve(candidate);
            if (Files.isRegularFile(path)) {
                return path;
            }
        }
        missing.add(directory.resolve(name));
        return null;
    }

    private static ImageDataset split(String name, IdxArray images, IdxArray labels) throws DatasetFormatException {
        images.requireShape(IdxType.UBYTE, IdxArray.ANY_SIZE, IMAGE_SIDE_PIXELS, IMAGE_SIDE_PIXELS);
        labels.requireShape(IdxType.UBYTE, IdxArray.ANY_SIZE);
        if (images.dimension(0) != labels.dimension(0)) {
            throw new DatasetFormatException(labels.source(), 4, labels.offsetSpace(), labels.dimension(0)
                    + " labels; expected " + images.dimension(0) + ", one per image in " + images.source(), null);
        }
        byte[] labelBytes = labels.dataNoCopy();
        for (int index = 0; index < labelBytes.length; index++) {
            int label = labelBytes[index] & 0xFF;
            if (label >= CLASS_NAMES.size()) {
                throw new DatasetFormatException(labels.source(), labels.elementOffsetBytes(index), labels.offsetSpace(),
                        "label " + label + " of sample " + index + "; expected a class 0 to " + (CLASS_NAMES.size() - 1),
                        null);
            }
        }
        return ImageDataset.wrap(name, IMAGE_SIDE_PIXELS, IMAGE_SIDE_PIXELS, images.dataNoCopy(), labelBytes,
                CLASS_NAMES);
    }

    /** @return the directory the files were read from */
    public Path directory() {
        return directory;
    }

    /** @return the training split (60000 samples in the published dataset) */
    public ImageDataset train() {
        return train;
    }

    /** @return the test split (10000 samples in the published dataset) */
    public ImageDataset test() {
        return test;
    }

    /** @return {@link #CLASS_NAMES} */
    public List<String> classNames() {
        return CLASS_NAMES;
    }
}
