package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import java.util.SplittableRandom;

/** Transformer building blocks: multi-head self-attention and a pre-norm transformer block. */
public final class Attention {
    private Attention() {}

    /**
     * Multi-head self-attention over {@code [batch, time, dim]}, with PyTorch-style separate
     * projections {@code q_proj, k_proj, v_proj, out_proj} ({@code [dim, dim]} each).
     */
    public static final class MultiHeadAttention extends Module {
        private final int heads;
        private final boolean causal;
        private final Layers.Linear q;
        private final Layers.Linear k;
        private final Layers.Linear v;
        private final Layers.Linear out;

        /**
         * @param dim model width, divisible by heads
         * @param heads attention heads
         * @param causal whether positions attend only to earlier ones
         * @param random seeds the initialisation
         */
        public MultiHeadAttention(int dim, int heads, boolean causal, SplittableRandom random) {
            if (heads <= 0 || dim % heads != 0) {
                throw new IllegalArgumentException("attention width " + dim + " is not divisible by " + heads + " heads");
            }
            this.heads = heads;
            this.causal = causal;
            this.q = child("q_proj", new Layers.Linear(dim, dim, true, random));
            this.k = child("k_proj", new Layers.Linear(dim, dim, true, random));
            this.v = child("v_proj", new Layers.Linear(dim, dim, true, random));
            this.out = child("out_proj", new Layers.Linear(dim, dim, true, random));
        }

        @Override
        protected String settings() {
            return "heads=" + heads + ", causal=" + causal;
        }

        @Override
        public Tensor forward(Tensor x) {
            if (x.dim() != 3) {
                throw new IllegalArgumentException("attention needs [batch, time, dim], got " + java.util.Arrays.toString(
                        x.shape()));
            }
            int batch = x.size(0);
            int time = x.size(1);
            int dim = x.size(2);
            int headDim = dim / heads;
            Tensor qh = q.forward(x).reshape(batch, time, heads, headDim).transpose(1, 2);
            Tensor kh = k.forward(x).reshape(batch, time, heads, headDim).transpose(1, 2);
            Tensor vh = v.forward(x).reshape(batch, time, heads, headDim).transpose(1, 2);
            Tensor attended = F.scaledDotProductAttention(qh, kh, vh, causal);
            return out.forward(attended.transpose(1, 2).reshape(batch, time, dim));
        }
    }

    /** A pre-norm transformer block: x + attn(ln1(x)), then + mlp(ln2(x)) with a GELU MLP of 4× width. */
    public static final class TransformerBlock extends Module {
        private final Layers.LayerNorm ln1;
        private final MultiHeadAttention attention;
        private final Layers.LayerNorm ln2;
        private final Sequential mlp;

        /**
         * @param dim model width
         * @param heads attention heads
         * @param causal causal attention
         * @param random seeds the initialisation
         */
        public TransformerBlock(int dim, int heads, boolean causal, SplittableRandom random) {
            this.ln1 = child("ln_1", new Layers.LayerNorm(dim, 1e-5f));
            this.attention = child("attn", new MultiHeadAttention(dim, heads, causal, random));
            this.ln2 = child("ln_2", new Layers.LayerNorm(dim, 1e-5f));
            this.mlp = child("mlp", new Sequential(new Layers.Linear(dim, 4 * dim, true, random), new Layers.GELU(),
                    new Layers.Linear(4 * dim, dim, true, random)));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = x.add(attention.forward(ln1.forward(x)));
            return h.add(mlp.forward(ln2.forward(h)));
        }
    }
}
