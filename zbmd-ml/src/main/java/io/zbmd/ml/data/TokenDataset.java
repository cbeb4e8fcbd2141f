package io.zbmd.ml.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A token stream cut into training examples for a language model: example {@code i} is the
 * window of {@code length} token ids starting at {@code i * stride}, and its targets the same
 * window shifted by one (each position's next token), both int columns {@code [n, length]}.
 * With {@code stride == length} the windows do not overlap; a smaller stride gives more, and
 * overlapping, examples.
 *
 * <pre>{@code
 * Dataset text = TokenDataset.of("tiny-shakespeare", ids, 64, 64);   // inputs and targets [n, 64]
 * }</pre>
 *
 * <p>Immutable (it copies the stream), so thread-safe.
 */
public final class TokenDataset implements Dataset {
    private final String name;
    private final int[] tokens;
    private final int length;
    private final int stride;
    private final int size;
    /** Each example's start, or null when example {@code i} starts at {@code i · stride}. */
    private final int[] starts;

    private TokenDataset(String name, int[] tokens, int length, int stride, int[] starts) {
        this.name = name;
        this.tokens = tokens;
        this.length = length;
        this.stride = stride;
        this.starts = starts;
        this.size = starts != null ? starts.length
                : tokens.length <= length ? 0 : (tokens.length - length - 1) / stride + 1;
    }

    /**
     * @param name what to call it in messages and in a run's identity
     * @param tokens the token ids, in order
     * @param length tokens per example, 1 or more
     * @param stride tokens between the starts of two examples, 1 or more
     * @return the dataset: as many windows as fit with their next token, at least one
     * @throws IllegalArgumentException if a size is out of range or the stream holds no window
     */
    public static TokenDataset of(String name, int[] tokens, int length, int stride) {
        check(name, tokens, length, stride);
        return new TokenDataset(name, tokens.clone(), length, stride, null);
    }

    /**
     * Windows at random starts: for runs counted in steps, a training set of a given size.
     *
     * @param name what to call it in messages and in a run's identity
     * @param tokens the token ids, in order
     * @param length tokens per example, 1 or more
     * @param count examples, 1 or more
     * @param seed draws the starts: the same seed, the same windows (a resumed run reads the
     *     same examples)
     * @return the dataset
     * @throws IllegalArgumentException if a size is out of range or the stream holds no window
     */
    public static TokenDataset sampled(String name, int[] tokens, int length, int count, long seed) {
        check(name, tokens, length, 1);
        if (count < 1) {
            throw new IllegalArgumentException("token dataset " + name + ": a sample needs 1 or more windows, not "
                    + count);
        }
        int windows = tokens.length - length;
        SplittableRandom random = new SplittableRandom(seed);
        int[] starts = new int[count];
        Arrays.setAll(starts, i -> random.nextInt(windows));
        return new TokenDataset(name, tokens.clone(), length, 1, starts);
    }

    private static void check(String name, int[] tokens, int length, int stride) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokens, "tokens");
        if (length < 1 || stride < 1) {
            throw new IllegalArgumentException("token dataset " + name + ": length and stride must be 1 or more, were "
                    + length + " and " + stride);
        }
        if (tokens.length < length + 1) {
            throw new IllegalArgumentException("token dataset " + name + ": " + tokens.length + " tokens hold no window"
                    + " of " + length + " with its next token (" + (length + 1) + " needed)");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return size;
    }

    /** @return windows of token ids, {@code [examples.length, length]} */
    @Override
    public Column inputs(int[] examples) {
        return windows(examples, 0);
    }

    /** @return the next tokens of each window, {@code [examples.length, length]} */
    @Override
    public Column targets(int[] examples) {
        return windows(examples, 1);
    }

    private Column windows(int[] examples, int shift) {
        int[] values = new int[examples.length * length];
        for (int k = 0; k < examples.length; k++) {
            int example = Objects.checkIndex(examples[k], size);
            System.arraycopy(tokens, (starts != null ? starts[example] : example * stride) + shift, values,
                    k * length, length);
        }
        return Column.ints(values, examples.length, length);
    }

    /** @return e.g. "TokenDataset[tiny: 1,000 windows of 64 tokens, stride 64]" */
    @Override
    public String toString() {
        return starts != null
                ? String.format(Locale.ROOT, "TokenDataset[%s: %,d windows of %d tokens at random starts]", name, size,
                        length)
                : String.format(Locale.ROOT, "TokenDataset[%s: %,d windows of %d tokens, stride %d]", name, size,
                        length, stride);
    }
}
