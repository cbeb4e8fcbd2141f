package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The layers, as PyTorch's {@code torch.nn} (same parameter names and layouts, same default
 * initialisation, seeded). Each is a {@link Module}; build them inside the model's scope.
 */
public final class Layers {
    private Layers() {}

    /** {@code y = x Wᵀ + b}, weight {@code [out, in]}; PyTorch's default initialisation. */
    public static final class Linear extends Module {
        private final Tensor weight;
        private final Tensor bias;

        /**
         * @param in input features
         * @param out output features
         * @param bias whether to add a bias
         * @param random seeds the initialisation
         */
        public Linear(int in, int out, boolean bias, SplittableRandom random) {
            this.weight = parameter("weight", Init.kaimingUniform(random, Math.sqrt(5), out, in));
            this.bias = bias ? parameter("bias", Init.bias(random, in, out)) : null;
        }

        /**
         * A layer with the given initial values (an initialisation of one's own, such as GPT-2's).
         *
         * @param weight {@code [out, in]}
         * @param bias {@code [out]}, or null for none
         */
        public Linear(Tensor weight, Tensor bias) {
            if (weight.dim() != 2 || (bias != null && (bias.dim() != 1 || bias.size(0) != weight.size(0)))) {
                throw new IllegalArgumentException("a linear layer needs a weight [out, in] and a bias [out], got "
                        + Arrays.toString(weight.shape()) + " and "
                        + (bias == null ? "none" : Arrays.toString(bias.shape())));
            }
            this.weight = parameter("weight", weight);
            this.bias = bias == null ? null : parameter("bias", bias);
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.linear(x, weight, bias);
        }

        /** @return the weight {@code [out, in]} */
        public Tensor weight() {
            return weight;
        }
    }

    /** 2-D convolution, weight {@code [out, in, k, k]}; PyTorch's default initialisation. */
    public static final class Conv2d extends Module {
        private final Tensor weight;
        private final Tensor bias;
        private final int stride;
        private final int padding;

        /**
         * @param in input channels
         * @param out output channels
         * @param kernel kernel size (square)
         * @param stride stride
         * @param padding zero padding
         * @param random seeds the initialisation
         */
        public Conv2d(int in, int out, int kernel, int stride, int padding, SplittableRandom random) {
            this.weight = parameter("weight", Init.kaimingUniform(random, Math.sqrt(5), out, in, kernel, kernel));
            this.bias = parameter("bias", Init.bias(random, in * kernel * kernel, out));
            this.stride = stride;
            this.padding = padding;
        }

        @Override
        protected String settings() {
            return "stride=" + stride + ", padding=" + padding;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.conv2d(x, weight, bias, stride, padding);
        }
    }

    /** 2-D max pooling. */
    public static final class MaxPool2d extends Module {
        private final int kernel;
        private final int stride;

        /** @param kernel window and stride */
        public MaxPool2d(int kernel) {
            this.kernel = kernel;
            this.stride = kernel;
        }

        @Override
        protected String settings() {
            return "kernel=" + kernel + ", stride=" + stride;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.maxPool2d(x, kernel, stride, 0);
        }
    }

    /** 2-D average pooling. */
    public static final class AvgPool2d extends Module {
        private final int kernel;

        /** @param kernel window and stride */
        public AvgPool2d(int kernel) {
            this.kernel = kernel;
        }

        @Override
        protected String settings() {
            return "kernel=" + kernel;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.avgPool2d(x, kernel, kernel, 0);
        }
    }

    /**
     * Dropout. Each forward pass in training draws a new mask from a counter seeded at
     * construction; {@link #calls()} is part of the training state, so a resumed run draws
     * the same masks.
     */
    public static final class Dropout extends Module {
        private final float p;
        private final long seed;
        private long calls;

        /**
         * @param p drop probability in [0, 1)
         * @param seed seeds the masks
         */
        public Dropout(float p, long seed) {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
            }
            this.p = p;
            this.seed = seed;
        }

        @Override
        protected String settings() {
            return "p=" + p + ", seed=" + seed;
        }

        @Override
        public Tensor forward(Tensor x) {
            if (!isTraining()) {
                return x;
            }
            return F.dropout(x, p, true, seed * 0x9E3779B97F4A7C15L + calls++);
        }

        /** @return masks drawn so far */
        public long calls() {
            return calls;
        }

        /** @param value masks drawn so far (from a checkpoint) */
        public void calls(long value) {
            calls = value;
        }
    }

    /** Layer normalisation over the last dimension, weight and bias {@code [d]}. */
    public static final class LayerNorm extends Module {
        private final Tensor weight;
        private final Tensor bias;
        private final float eps;

        /**
         * @param dim the normalised size
         * @param eps added to the variance
         */
        public LayerNorm(int dim, float eps) {
            this.weight = parameter("weight", Tensors.ones(dim));
            this.bias = parameter("bias", Tensors.zeros(dim));
            this.eps = eps;
        }

        @Override
        protected String settings() {
            return "eps=" + eps;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.layerNorm(x, weight, bias, eps);
        }
    }

    /**
     * Batch normalisation per channel of {@code [n, c]} or {@code [n, c, h, w]} (PyTorch's
     * BatchNorm1d / BatchNorm2d): weight, bias, and buffers running_mean, running_var.
     * (PyTorch's int64 num_batches_tracked only matters with momentum None; PyTorch fills it
     * in when a state dict lacks it.)
     */
    public static final class BatchNorm extends Module {
        private final Tensor weight;
        private final Tensor bias;
        private final Tensor runningMean;
        private final Tensor runningVar;
        private final float momentum;
        private final float eps;

        /**
         * @param channels the channel count
         * @param momentum running-statistics momentum (PyTorch: 0.1)
         * @param eps added to the variance (PyTorch: 1e-5)
         */
        public BatchNorm(int channels, float momentum, float eps) {
            this.weight = parameter("weight", Tensors.ones(channels));
            this.bias = parameter("bias", Tensors.zeros(channels));
            this.runningMean = buffer("running_mean", Tensors.zeros(channels));
            this.runningVar = buffer("running_var", Tensors.ones(channels));
            this.momentum = momentum;
            this.eps = eps;
        }

        @Override
        protected String settings() {
            return "momentum=" + momentum + ", eps=" + eps;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.batchNorm(x, weight, bias, runningMean, runningVar, isTraining(), momentum, eps);
        }
    }

    /** A lookup table of {@code [vocabulary, dim]} vectors, initialised N(0, 1) as PyTorch. */
    public static final class Embedding extends Module {
        private final Tensor weight;

        /**
         * @param vocabulary rows
         * @param dim vector size
         * @param random seeds the initialisation
         */
        public Embedding(int vocabulary, int dim, SplittableRandom random) {
            this.weight = parameter("weight", Tensors.randn(random, vocabulary, dim));
        }

        /** @param weight the table's initial values {@code [vocabulary, dim]} */
        public Embedding(Tensor weight) {
            if (weight.dim() != 2) {
                throw new IllegalArgumentException("an embedding needs a table [vocabulary, dim], got "
                        + Arrays.toString(weight.shape()));
            }
            this.weight = parameter("weight", weight);
        }

        /** @return the table {@code [vocabulary, dim]} */
        public Tensor weight() {
            return weight;
        }

        @Override
        public Tensor forward(Tensor indices) {
            return F.embedding(indices, weight);
        }
    }

    /** Flattens everything after the batch dimension. */
    public static final class Flatten extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.flatten(1);
        }
    }

    /** max(x, 0). */
    public static final class ReLU extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.relu();
        }
    }

    /** GELU (exact). */
    public static final class GELU extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.gelu();
        }
    }

    /** tanh. */
    public static final class Tanh extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.tanh();
        }
    }

    /** The logistic sigmoid. */
    public static final class Sigmoid extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.sigmoid();
        }
    }
}
