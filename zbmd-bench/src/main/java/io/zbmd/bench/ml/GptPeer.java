package io.zbmd.bench.ml;

import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.nn.Gpt;
import java.util.SplittableRandom;

/**
 * One library's GPT for {@link GptStepBenchmark} and {@link GptGenerationBenchmark}: the
 * reference model ({@link Gpt.Config#reference()}: bytes, context 128, 4 layers of 4 heads,
 * width 128, 842,496 parameters) from zbmd's initial weights for {@link #SEED}, AdamW (lr 1e-3,
 * betas 0.9 and 0.95, weight decay 0.1), and one fixed batch of {@value #BATCH} windows of
 * {@value #CONTEXT} seeded random bytes. Not thread-safe: one thread drives it.
 */
interface GptPeer extends AutoCloseable {
    /** zbmd, on its CPU backend. */
    String ZBMD = "zbmd";
    /** PyTorch eager in Python, AdamW at its default (foreach). */
    String TORCH = "torch-python";
    /** PyTorch eager in Python, {@code AdamW(fused=True)}: its documentation's faster CPU implementation. */
    String TORCH_FUSED = "torch-python-fused";

    /** The model's seed. */
    long SEED = 42;
    /** Windows per training batch. */
    int BATCH = 32;
    /** Tokens per window: the reference model's context. */
    int CONTEXT = 128;
    /** Tokens per training step. */
    int TOKENS_PER_STEP = BATCH * CONTEXT;
    /** Tokens per generation: the whole context, after a one-token prompt. */
    int GENERATED = CONTEXT;

    /**
     * One training step on the batch: forward, cross-entropy over every position, zeroed
     * gradients, backward, AdamW update.
     *
     * @return the loss before the update
     */
    float step();

    /**
     * Greedy generation of {@code count} tokens after the one-token prompt {@code "\n"}, with a
     * key/value cache: each token one position of computation.
     *
     * @return the checksum {@code Σ (i + 1) · token_i} of the generated tokens (a check that it
     *     ran and repeats itself)
     */
    long generate(int count);

    /** @return what computes, in words */
    String describe();

    @Override
    void close();

    /**
     * @param runtime {@link #ZBMD}, {@link #TORCH} or {@link #TORCH_FUSED}
     * @param threads compute threads (PyTorch: intra-op threads, and one inter-op thread)
     * @return that peer, built
     */
    static GptPeer create(String runtime, int threads) {
        return switch (runtime) {
            case ZBMD -> new ZbmdGpt(threads, CpuConfig.defaults());
            case TORCH, TORCH_FUSED -> new TorchGpt(threads, runtime.equals(TORCH_FUSED));
            default -> throw new IllegalArgumentException("runtime must be " + ZBMD + ", " + TORCH + " or "
                    + TORCH_FUSED + ", got " + runtime);
        };
    }

    /**
     * {@link #create}, then {@link #checkLearns}: a peer ready to be timed.
     *
     * @throws IllegalStateException if it does not learn (it is closed then)
     */
    static GptPeer createChecked(String runtime, int threads) {
        GptPeer peer = create(runtime, threads);
        try {
            checkLearns(peer);
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
        System.out.println("# " + runtime + ": " + peer.describe());
        return peer;
    }

    /** @return the batch's inputs then targets (inputs shifted by one), {@value #TOKENS_PER_STEP} each */
    static int[][] batch() {
        SplittableRandom random = new SplittableRandom(7);
        int[] text = new int[TOKENS_PER_STEP + BATCH];
        for (int i = 0; i < text.length; i++) {
            text[i] = random.nextInt(256);
        }
        int[] inputs = new int[TOKENS_PER_STEP];
        int[] targets = new int[TOKENS_PER_STEP];
        for (int b = 0; b < BATCH; b++) {
            System.arraycopy(text, b * (CONTEXT + 1), inputs, b * CONTEXT, CONTEXT);
            System.arraycopy(text, b * (CONTEXT + 1) + 1, targets, b * CONTEXT, CONTEXT);
        }
        return new int[][] {inputs, targets};
    }

    /**
     * Checks that a peer learns before it is timed: the first loss near ln 256 (small initial
     * logits), lower after 10 steps.
     *
     * @throws IllegalStateException if not
     */
    static void checkLearns(GptPeer peer) {
        float first = peer.step();
        float last = first;
        for (int i = 1; i < 10; i++) {
            last = peer.step();
        }
        if (!(Math.abs(first - Math.log(256)) < 0.1) || !(last < first - 0.05)) {
            throw new IllegalStateException(peer.describe() + ": first loss " + first + " (expected about ln 256 ="
                    + " 5.545), after 10 steps " + last + " (expected lower)");
        }
    }
}
