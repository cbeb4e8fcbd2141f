package io.zbmd.ml.nn;

import io.zbmd.gpu.Backend;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GPT language model, laid out as nanoGPT's so that weights exchange with PyTorch by name:
 * token and position embeddings ({@code transformer.wte}, {@code transformer.wpe}), dropout,
 * {@code layers} pre-norm blocks ({@code transformer.h.N}: {@code ln_1}, causal self-attention
 * with one fused query-key-value projection {@code attn.c_attn} and {@code attn.c_proj},
 * {@code ln_2}, a GELU MLP {@code mlp.c_fc}, {@code mlp.c_proj}), a final layer norm
 * ({@code transformer.ln_f}) and a linear head without bias. Linear weights are
 * {@code [out, in]} as PyTorch's {@code nn.Linear}. With a tied head the logits are computed
 * with {@code wte}'s weight and there is no {@code lm_head.weight} of its own (nanoGPT's state
 * dict lists the one tensor under both names).
 *
 * <p>Initialised as GPT-2: weights N(0, 0.02), the projections into the residual stream
 * ({@code c_proj}) N(0, 0.02/√(2·layers)), biases 0, layer norms 1 and 0.
 *
 * <pre>{@code
 * Gpt model = new Gpt(Gpt.Config.reference(), new SplittableRandom(1));
 * Tensor logits = model.forward(tokens);            // int32 [batch, time] -> [batch, time, vocabulary]
 * int[] text = model.generate(prompt, 200, new Gpt.Sampling(0.8f, 40), new SplittableRandom(7), t -> {});
 * }</pre>
 *
 * <p>Generation keeps each layer's keys and values ({@link Cache}), so that a new token costs
 * one position of computation rather than the whole sequence again.
 */
public final class Gpt extends Module {
    private final Config config;
    private final Layers.Embedding wte;
    private final Layers.Embedding wpe;
    private final Layers.Dropout drop;
    private final Block[] layers;
    private final Sequential blocks;
    private final Layers.LayerNorm lnF;
    private final Layers.Linear lmHead;

    /**
     * A GPT's shape.
     *
     * @param vocabulary tokens (256 for bytes)
     * @param context the longest sequence, in tokens
     * @param layers transformer blocks
     * @param heads attention heads, dividing {@code width}
     * @param width the model's dimension
     * @param dropout the probability of each dropout, in [0, 1)
     * @param tiedHead whether the head shares the token embedding's weight
     */
    public record Config(int vocabulary, int context, int layers, int heads, int width, float dropout,
            boolean tiedHead) {
        /** Checks every field. */
        public Config {
            if (vocabulary < 1 || context < 1 || layers < 1 || heads < 1 || width < 1) {
                throw new IllegalArgumentException("a GPT needs a positive vocabulary, context, layers, heads and width,"
                        + " got " + vocabulary + ", " + context + ", " + layers + ", " + heads + ", " + width);
            }
            if (width % heads != 0) {
                throw new IllegalArgumentException("the GPT's width " + width + " is not divisible by its " + heads
                        + " heads");
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
        }

        private static final Pattern TEXT = Pattern.compile("Config\\[vocabulary=(\\d+), context=(\\d+), layers=(\\d+),"
                + " heads=(\\d+), width=(\\d+), dropout=([0-9.Ee+-]+), tiedHead=(true|false)]");

        /** @return the reference model: bytes, context 128, 4 layers of 4 heads, width 128, no dropout, tied head */
        public static Config reference() {
            return new Config(256, 128, 4, 4, 128, 0f, true);
        }

        /**
         * @return {@code Config[vocabulary=256, context=128, layers=4, heads=4, width=128,
         *     dropout=0.0, tiedHead=true]}: a run's configuration records it, {@link #find} reads it back
         */
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "Config[vocabulary=%d, context=%d, layers=%d, heads=%d, width=%d,"
                    + " dropout=%s, tiedHead=%s]", vocabulary, context, layers, heads, width, dropout, tiedHead);
        }

        /**
         * @param text text that holds a configuration as {@link #toString()} writes it (a run's
         *     recorded configuration, for one)
         * @return the first configuration in it, if there is one and it is valid
         */
        public static Optional<Config> find(String text) {
            Matcher m = TEXT.matcher(text);
            if (!m.find()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Config(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                        Float.parseFloat(m.group(6)), Boolean.parseBoolean(m.group(7))));
            } catch (IllegalArgumentException e) { // a number out of range, or a shape that Config refuses
                return Optional.empty();
            }
        }
    }

    /**
     * How {@link #generate} picks each token from the logits.
     *
     * @param temperature divides the logits; 0 picks the most likely token every time
     * @param topK draws among the k most likely tokens only; 0 for all of them
     */
    public record Sampling(float temperature, int topK) {
        /** Checks both. */
        public Sampling {
            if (!(temperature >= 0) || Float.isInfinite(temperature)) {
                throw new IllegalArgumentException("the temperature must be finite and not negative, got "
                        + temperature);
            }
            if (topK < 0) {
                throw new IllegalArgumentException("top-k must be 0 (all tokens) or more, got " + topK);
            }
        }
    }

    /**
     * Each layer's keys and values for the positions seen so far, {@code [1, heads, context,
     * width / heads]}, and how many positions that is. Made by {@link #newCache()}.
     */
    public static final class Cache {
        private final Tensor[] keys;
        private final Tensor[] values;
        private int length;

        private Cache(Tensor[] keys, Tensor[] values) {
            this.keys = keys;
            this.values = values;
        }

        /** @return the positions held */
        public int length() {
            return length;
        }

        /** Forgets every position (the tensors stay, to be written again). */
        public void clear() {
            length = 0;
        }
    }

    /**
     * @param config the model's shape
     * @param random seeds the initialisation (and the dropout masks)
     */
    public Gpt(Config config, SplittableRandom random) {
        this.config = config;
        int width = config.width();
        Transformer transformer = child("transformer", new Transformer());
        this.wte = transformer.child("wte", new Layers.Embedding(
                Tensors.normal(random, 0.02, config.vocabulary(), width)));
        this.wpe = transformer.child("wpe", new Layers.Embedding(Tensors.normal(random, 0.02, config.context(), width)));
        this.drop = transformer.child("drop", new Layers.Dropout(config.dropout(), random.nextLong()));
        this.layers = new Block[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Block(config, random);
        }
        this.blocks = transformer.child("h", new Sequential(layers));
        this.lnF = transformer.child("ln_f", new Layers.LayerNorm(width, 1e-5f));
        this.lmHead = config.tiedHead() ? null : child("lm_head",
                new Layers.Linear(Tensors.normal(random, 0.02, config.vocabulary(), width), null));
    }

    /** @return the model's shape */
    public Config config() {
        return config;
    }

    @Override
    protected String settings() {
        return config.toString();
    }

    /**
     * @param tokens int32 token ids {@code [batch, time]}, {@code time} at most the context
     * @return logits {@code [batch, time, vocabulary]}: position t's scores for token t + 1
     */
    @Override
    public Tensor forward(Tensor tokens) {
        if (tokens.dim() != 2 || tokens.size(1) > config.context()) {
            throw new IllegalArgumentException("a GPT takes token ids [batch, time] with time at most its context of "
                    + config.context() + ", got " + Arrays.toString(tokens.shape()));
        }
        int time = tokens.size(1);
        int[] positions = new int[time];
        Arrays.setAll(positions, t -> t);
        Tensor x = wte.forward(tokens).add(wpe.forward(Tensors.ofInts(positions, time)));
        x = lnF.forward(blocks.forward(drop.forward(x)));
        return lmHead != null ? lmHead.forward(x) : x.matmul(wte.weight().transpose(0, 1));
    }

    /**
     * @return an empty key/value cache for {@link #forward(Tensor, Cache)}, in the current
     *     tensor scope
     */
    public Cache newCache() {
        int headDim = config.width() / config.heads();
        Tensor[] keys = new Tensor[layers.length];
        Tensor[] values = new Tensor[layers.length];
        for (int i = 0; i < layers.length; i++) {
            keys[i] = Tensors.zeros(1, config.heads(), config.context(), headDim);
            values[i] = Tensors.zeros(1, config.heads(), config.context(), headDim);
        }
        return new Cache(keys, values);
    }

    /**
     * The logits of {@code tokens} continuing the positions {@code cache} holds, which it then
     * holds too: first a prompt into an empty cache, then one token at a time. Each layer
     * attends to the cached keys and values, so a token costs one position. Autograd is off.
     *
     * @param tokens int32 {@code [1, n]}: any n into an empty cache, 1 after that
     * @param cache from {@link #newCache()}; at most the context in all
     * @return logits {@code [1, n, vocabulary]}, as {@link #forward(Tensor)} gives for those
     *     positions of the whole sequence
     */
    public Tensor forward(Tensor tokens, Cache cache) {
        int start = cache.length;
        if (tokens.dim() != 2 || tokens.size(0) != 1 || tokens.size(1) < 1 || (start > 0 && tokens.size(1) != 1)
                || start + tokens.size(1) > config.context()) {
            throw new IllegalArgumentException("a cached GPT step takes token ids [1, n], n tokens into an empty cache"
                    + " or one after it, within the context of " + config.context() + "; got "
                    + Arrays.toString(tokens.shape()) + " after " + start + " cached positions");
        }
        int time = tokens.size(1);
        int[] positions = new int[time];
        Arrays.setAll(positions, t -> start + t);
        try (var ignored = Autograd.noGrad()) {
            Tensor x = drop.forward(wte.forward(tokens).add(wpe.forward(Tensors.ofInts(positions, time))));
            for (int i = 0; i < layers.length; i++) {
                x = layers[i].forward(x, cache.keys[i], cache.values[i], start);
            }
            cache.length = start + time;
            x = lnF.forward(x);
            return lmHead != null ? lmHead.forward(x) : x.matmul(wte.weight().transpose(0, 1));
        }
    }

    /**
     * Continues {@code prompt} by {@code count} tokens, each drawn from the model's next-token
     * distribution as {@code sampling} says. Past the context, the window slides: the cache
     * restarts from the newest half-context of tokens (so a token's cost stays one position,
     * but for one prompt-sized step every half-context). Call it with the model in evaluation
     * mode ({@code train(false)}) unless dropout is wanted.
     *
     * @param prompt token ids, 1 to the context of them
     * @param count tokens to generate, 0 or more
     * @param sampling temperature and top-k
     * @param random draws the tokens: the same seed gives the same text
     * @param each called with every generated token as it comes
     * @return the generated tokens (without the prompt)
     * @throws IllegalArgumentException for an empty prompt, one longer than the context, or a
     *     token outside the vocabulary
     */
    public int[] generate(int[] prompt, int count, Sampling sampling, SplittableRandom random, IntConsumer each) {
        if (prompt.length < 1 || prompt.length > config.context()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; it needs 1 to the"
                    + " model's context of " + config.context());
        }
        if (count < 0) {
            throw new IllegalArgumentException("cannot generate " + count + " tokens");
        }
        for (int token : prompt) {
            if (token < 0 || token >= config.vocabulary()) {
                throw new IllegalArgumentException("token " + token + " is outside the vocabulary of "
                        + config.vocabulary());
            }
        }
        int[] text = Arrays.copyOf(prompt, prompt.length + count);
        int length = prompt.length;
        Backend backend = wte.weight().backend();
        try (TensorScope ignored = TensorScope.open(backend)) {
            Cache cache = newCache();
            int[] pending = prompt;
            for (int made = 0; made < count; made++) {
                if (cache.length + pending.length > config.context()) {
                    int keep = Math.max(1, config.context() / 2);
                    pending = Arrays.copyOfRange(text, length - keep, length);
                    cache.clear();
                }
                float[] logits;
                try (TensorScope step = TensorScope.open(backend)) {
                    Tensor out = forward(Tensors.ofInts(pending, 1, pending.length), cache);
                    logits = out.slice(1, pending.length - 1, pending.length).toFloatArray();
                }
                int next = sample(logits, sampling, random);
                text[length++] = next;
                each.accept(next);
                pending = new int[] {next};
            }
        }
        return Arrays.copyOfRange(text, prompt.length, length);
    }

    /** A token from logits: the most likely at temperature 0, else a draw from the softened top k. */
    static int sample(float[] logits, Sampling sampling, SplittableRandom random) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (sampling.temperature() == 0) {
            return best;
        }
        float threshold = Float.NEGATIVE_INFINITY;
        if (sampling.topK() > 0 && sampling.topK() < logits.length) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            threshold = sorted[sorted.length - sampling.topK()];
        }
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] >= threshold) {
                weights[i] = Math.exp((logits[i] - logits[best]) / (double) sampling.temperature());
                total += weights[i];
            }
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < logits.length; i++) {
            u -= weights[i];
            if (u < 0 && weights[i] > 0) {
                return i;
            }
        }
        return best; // rounding left u a hair above 0
    }

    /** The {@code transformer.*} container, for nanoGPT's names. */
    private static final class Transformer extends Module {
        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("the GPT runs its transformer's parts itself");
        }
    }

    /** A pre-norm block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
    private static final class Block extends Module {
        private final Layers.LayerNorm ln1;
        private final CausalSelfAttention attn;
        private final Layers.LayerNorm ln2;
        private final Mlp mlp;

        Block(Config config, SplittableRandom random) {
            this.ln1 = child("ln_1", new Layers.LayerNorm(config.width(), 1e-5f));
            this.attn = child("attn", new CausalSelfAttention(config, random));
            this.ln2 = child("ln_2", new Layers.LayerNorm(config.width(), 1e-5f));
            this.mlp = child("mlp", new Mlp(config, random));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = x.add(attn.forward(ln1.forward(x)));
            return h.add(mlp.forward(ln2.forward(h)));
        }

        Tensor forward(Tensor x, Tensor keys, Tensor values, int start) {
            Tensor h = x.add(attn.forward(ln1.forward(x), keys, values, start));
            return h.add(mlp.forward(ln2.forward(h)));
        }
    }

    /** Causal self-attention with nanoGPT's fused projection: q, k, v are thirds of c_attn's output. */
    private static final class CausalSelfAttention extends Module {
        private final int heads;
        private final Layers.Linear cAttn;
        private final Layers.Linear cProj;
        private final Layers.Dropout residDrop;

        CausalSelfAttention(Config config, SplittableRandom random) {
            int width = config.width();
            this.heads = config.heads();
            this.cAttn = child("c_attn", linear(random, 0.02, 3 * width, width));
            this.cProj = child("c_proj", linear(random, 0.02 / Math.sqrt(2.0 * config.layers()), width, width));
            this.residDrop = child("resid_dropout", new Layers.Dropout(config.dropout(), random.nextLong()));
        }

        @Override
        public Tensor forward(Tensor x) {
            int batch = x.size(0);
            int time = x.size(1);
            int width = x.size(2);
            int headDim = width / heads;
            Tensor qkv = cAttn.forward(x);
            Tensor q = heads(qkv.slice(2, 0, width), batch, time, headDim);
            Tensor k = heads(qkv.slice(2, width, 2 * width), batch, time, headDim);
            Tensor v = heads(qkv.slice(2, 2 * width, 3 * width), batch, time, headDim);
            Tensor attended = F.scaledDotProductAttention(q, k, v, true);
            return residDrop.forward(cProj.forward(attended.transpose(1, 2).reshape(batch, time, width)));
        }

        /** One sequence's positions from {@code start} on, its keys and values written into the cache. */
        Tensor forward(Tensor x, Tensor keys, Tensor values, int start) {
            int time = x.size(1);
            int width = x.size(2);
            int headDim = width / heads;
            int end = start + time;
            Tensor qkv = cAttn.forward(x);
            Tensor q = heads(qkv.slice(2, 0, width), 1, time, headDim);
            keys.slice(2, start, end).assign(heads(qkv.slice(2, width, 2 * width), 1, time, headDim));
            values.slice(2, start, end).assign(heads(qkv.slice(2, 2 * width, 3 * width), 1, time, headDim));
            // A prompt attends causally among itself; a later single token sees every cached position.
            Tensor attended = F.scaledDotProductAttention(q, keys.slice(2, 0, end), values.slice(2, 0, end),
                    start == 0);
            return residDrop.forward(cProj.forward(attended.transpose(1, 2).reshape(1, time, width)));
        }

        private Tensor heads(Tensor part, int batch, int time, int headDim) {
            return part.reshape(batch, time, heads, headDim).transpose(1, 2);
        }
    }

    /** The block's MLP: c_fc to four times the width, GELU, c_proj back, dropout. */
    private static final class Mlp extends Module {
        private final Layers.Linear cFc;
        private final Layers.GELU gelu;
        private final Layers.Linear cProj;
        private final Layers.Dropout drop;

        Mlp(Config config, SplittableRandom random) {
            int width = config.width();
            this.cFc = child("c_fc", linear(random, 0.02, 4 * width, width));
            this.gelu = child("gelu", new Layers.GELU());
            this.cProj = child("c_proj", linear(random, 0.02 / Math.sqrt(2.0 * config.layers()), width, 4 * width));
            this.drop = child("dropout", new Layers.Dropout(config.dropout(), random.nextLong()));
        }

        @Override
        public Tensor forward(Tensor x) {
            return drop.forward(cProj.forward(gelu.forward(cFc.forward(x))));
        }
    }

    private static Layers.Linear linear(SplittableRandom random, double std, int out, int in) {
        return new Layers.Linear(Tensors.normal(random, std, out, in), Tensors.zeros(out));
    }
}
