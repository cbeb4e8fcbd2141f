package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;

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
 * }</pre>
 */
public final class Gpt extends Module {
    private final Config config;
    private final Layers.Embedding wte;
    private final Layers.Embedding wpe;
    private final Layers.Dropout drop;
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

        /** @return the reference model: bytes, context 128, 4 layers of 4 heads, width 128, no dropout, tied head */
        public static Config reference() {
            return new Config(256, 128, 4, 4, 128, 0f, true);
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
        Block[] layers = new Block[config.layers()];
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
