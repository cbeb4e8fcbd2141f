package io.zbmd.ml.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Plain text for a byte-level language model: every text file of a directory, read as bytes
 * (the vocabulary is the 256 byte values, so no tokenizer is needed), split the same way every
 * time into training and validation text: the first 90 % of each file's bytes (rounded down)
 * train, the last 10 % validate, so that both see every file's style. The default corpus is
 * Debian's {@code fortunes} package ({@value #DEFAULT_DIRECTORY}, about 2.5 MB of English).
 *
 * <p>Files are taken in the order of their names. Symbolic links are skipped (fortunes links
 * each {@code .u8} name to its file: the text would count twice), and so are binary files,
 * those holding a NUL byte (fortunes' {@code .dat} indexes). Text that is not valid UTF-8
 * still trains (bytes are bytes); {@link #invalidUtf8Sequences()} says how much of it there
 * was, for the loader to report.
 *
 * <pre>{@code
 * TextCorpus corpus = TextCorpus.load(TextCorpus.DEFAULT_DIRECTORY);
 * Dataset train = corpus.training(128);       // every window of 128 bytes, targets shifted by one
 * Dataset validation = corpus.validation(128);  // windows that do not overlap
 * }</pre>
 *
 * <p>Immutable, so thread-safe.
 */
public final class TextCorpus {
    /** Where Debian's {@code fortunes} package puts its text. */
    public static final String DEFAULT_DIRECTORY = "/usr/share/games/fortunes";
    /** The share of each file's bytes, from its end, that validates. */
    public static final double VALIDATION_SHARE = 0.10;
    /** The vocabulary: one token per byte value. */
    public static final int VOCABULARY = 256;

    private final String name;
    private final int[] training;
    private final int[] validation;
    private final List<Path> files;
    private final int skipped;
    private final long invalidUtf8Sequences;

    private TextCorpus(String name, int[] training, int[] validation, List<Path> files, int skipped,
            long invalidUtf8Sequences) {
        this.name = name;
        this.training = training;
        this.validation = validation;
        this.files = List.copyOf(files);
        this.skipped = skipped;
        this.invalidUtf8Sequences = invalidUtf8Sequences;
    }

    /**
     * Reads a directory of text files, or one text file.
     *
     * @param location the directory or file
     * @return the corpus, split
     * @throws DatasetNotFoundException if it is not there (the message says how to get the
     *     default corpus) or holds no text file
     * @throws IllegalArgumentException if it holds too little text to leave both parts a byte
     * @throws IOException if a file cannot be read
     */
    public static TextCorpus load(Path location) throws IOException {
        Objects.requireNonNull(location, "location must not be null");
        if (!Files.exists(location)) {
            throw new DatasetNotFoundException("no text at " + location + ": give a directory of UTF-8 text files,"
                    + " or install Debian's fortunes package (sudo apt-get install fortunes) for "
                    + DEFAULT_DIRECTORY, List.of(location));
        }
        List<Path> candidates = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> listing = Files.list(location)) {
                listing.sorted().forEach(candidates::add);
            }
        } else {
            candidates.add(location);
        }
        List<Path> used = new ArrayList<>();
        int skipped = 0;
        long invalid = 0;
        ByteArray train = new ByteArray();
        ByteArray validate = new ByteArray();
        for (Path file : candidates) {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                skipped++;
                continue;
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length == 0 || binary(bytes)) {
                skipped++;
                continue;
            }
            used.add(file);
            invalid += invalidUtf8Sequences(bytes);
            int cut = (int) Math.floor(bytes.length * (1 - VALIDATION_SHARE));
            train.append(bytes, 0, cut);
            validate.append(bytes, cut, bytes.length);
        }
        if (used.isEmpty()) {
            throw new DatasetNotFoundException(location + " holds no text files (" + skipped + " skipped: links,"
                    + " empty or binary files): give a directory of UTF-8 text", List.of(location));
        }
        if (train.size == 0 || validate.size == 0) {
            throw new IllegalArgumentException("the text at " + location + " is too short to split: "
                    + (train.size + validate.size) + " bytes leave " + train.size + " to train and " + validate.size
                    + " to validate; give more text");
        }
        return new TextCorpus(location.getFileName() == null ? location.toString()
                : location.getFileName().toString(), train.tokens(), validate.tokens(), used, skipped, invalid);
    }

    private static boolean binary(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }

    /** @return the malformed or unmappable UTF-8 sequences in {@code bytes}, as a decoder meets them */
    static long invalidUtf8Sequences(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        long invalid = 0;
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                invalid++;
                in.position(in.position() + result.length());
            } else if (result.isOverflow()) {
                out.clear();
            } else {
                return invalid; // every byte read
            }
        }
    }

    /** @return the corpus's name, its directory's or file's */
    public String name() {
        return name;
    }

    /** @return the files read, in order */
    public List<Path> files() {
        return files;
    }

    /** @return entries passed over: links, empty and binary files */
    public int skippedEntries() {
        return skipped;
    }

    /** @return malformed UTF-8 sequences met (their bytes are kept) */
    public long invalidUtf8Sequences() {
        return invalidUtf8Sequences;
    }

    /** @return training bytes */
    public int trainingBytes() {
        return training.length;
    }

    /** @return validation bytes */
    public int validationBytes() {
        return validation.length;
    }

    /**
     * @param context tokens per example
     * @return every window of {@code context} training bytes (stride 1), its targets the window
     *     shifted by one; a loader's seeded shuffle makes them seeded random windows
     * @throws IllegalArgumentException if the training text holds no window of that length
     */
    public TokenDataset training(int context) {
        return TokenDataset.of(name + "/train", training, context, 1);
    }

    /**
     * A training set of a given size, for runs counted in steps: {@code count} windows of
     * {@code context} training bytes at starts drawn from {@code seed} (the same every time, so
     * that a resumed run reads the same examples), each with its next-byte targets.
     *
     * @param context tokens per example
     * @param count examples, 1 or more
     * @param seed draws the starts
     * @return the windows
     * @throws IllegalArgumentException if the training text holds no window of that length
     */
    public TokenDataset sampledTraining(int context, int count, long seed) {
        return TokenDataset.sampled(String.format(Locale.ROOT, "%s/train[seed %d]", name, seed), training, context,
                count, seed);
    }

    /**
     * @param context tokens per example
     * @return the validation bytes cut into windows of {@code context} that do not overlap (each
     *     byte predicted once), targets shifted by one
     * @throws IllegalArgumentException if the validation text holds no window of that length
     */
    public TokenDataset validation(int context) {
        return TokenDataset.of(name + "/validation", validation, context, context);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TextCorpus[%s: %d files, %,d training and %,d validation bytes]", name,
                files.size(), training.length, validation.length);
    }

    /** Bytes appended in order, read back as token ids 0 to 255. */
    private static final class ByteArray {
        private byte[] bytes = new byte[1 << 16];
        private int size;

        void append(byte[] from, int start, int end) {
            int length = end - start;
            if (size + length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
            }
            System.arraycopy(from, start, bytes, size, length);
            size += length;
        }

        int[] tokens() {
            int[] tokens = new int[size];
            for (int i = 0; i < size; i++) {
                tokens[i] = bytes[i] & 0xFF;
            }
            return tokens;
        }
    }
}
