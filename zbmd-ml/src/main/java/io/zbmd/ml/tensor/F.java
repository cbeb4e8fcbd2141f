package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import java.util.Arrays;
import java.util.Objects;

/**
 * Neural-network functions on tensors, with their gradients, as PyTorch's
 * {@code torch.nn.functional}: linear, losses, convolution, pooling, dropout,
 * normalisation, embedding, attention. Shapes follow PyTorch (NCHW images, {@code [out, in]}
 * linear weights). Stateless; each call allocates its result in the current scope.
 */
public final class F {
    private F() {}

    // ------------------------------------------------------------------ dense

    /**
     * {@code x @ weightᵀ + bias}.
     *
     * @param x {@code [..., in]}
     * @param weight {@code [out, in]}
     * @param bias {@code [out]}, or null
     * @return {@code [..., out]}
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.dim() != 2 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shapeRef()) + " does not match weight "
                    + Shape.str(weight.shapeRef()) + " (expected [out, " + x.size(-1) + "])");
        }
        Tensor y = Gemm.linear(x, weight);
        return bias == null ? y : y.add(bias);
    }

    // ------------------------------------------------------------------ losses

    /**
     * Cross-entropy from logits, averaged over the batch, with label smoothing (as
     * {@code F.cross_entropy(logits, labels, label_smoothing=smoothing)}).
     *
     * @param logits {@code [n, classes]}
     * @param labels {@code [n]} of int32 class indices
     * @param smoothing in [0, 1)
     * @return the mean loss, shape []
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, float smoothing) {
        if (logits.dim() != 2 || labels.dim() != 1 || labels.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("crossEntropy needs logits [n, classes] and labels [n], got "
                    + Shape.str(logits.shapeRef()) + " and " + Shape.str(labels.shapeRef()));
        }
        if (labels.dtype() != DType.I32) {
            throw new IllegalArgumentException("crossEntropy labels must be int32, got " + labels.dtype());
        }
        int rows = logits.size(0);
        int cols = logits.size(1);
        Tensor source = logits.contiguousNoGrad();
        Tensor labelsC = labels.contiguousNoGrad();
        Tensor losses = Tensor.empty(new int[] {rows});
        Tensor grad = logits.requiresGrad() && Autograd.enabled() ? Tensor.empty(logits.shapeRef()) : null;
        Backend backend = logits.backend();
        backend.crossEntropy(rows, cols, smoothing, source.buffer(), source.offset(), labelsC.buffer(), labelsC.offset(),
                losses.buffer(), 0, grad == null ? null : grad.buffer(), 0, 1f / rows);
        Tensor mean = Tensor.empty(new int[0]);
        backend.reduce(ReduceOp.SUM, new int[] {rows}, losses.buffer(), 0, new long[] {1}, mean.buffer(), 0,
                new long[] {0}, false, null);
        backend.scale(1, 1f / rows, mean.buffer(), 0);
        return Tensor.result(mean, new ScaledGradient(logits, grad));
    }

    /** A node whose input gradient was computed in the forward pass, scaled by the output gradient. */
    private static final class ScaledGradient extends Autograd.Node {
        private final Tensor gradient;

        ScaledGradient(Tensor input, Tensor gradient) {
            super(input);
            this.gradient = gradient;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor dx = Ops.zeros(gradient.shapeRef());
            g.backend().axpy(dx.numel(), g.item(), gradient.buffer(), 0, dx.buffer(), 0);
            sink.add(inputs[0], dx);
        }
    }

    /** @return the mean squared error between two tensors of the same shape */
    public static Tensor mse(Tensor prediction, Tensor target) {
        if (!Arrays.equals(prediction.shapeRef(), target.shapeRef())) {
            throw new IllegalArgumentException("mse of shapes " + Shape.str(prediction.shapeRef()) + " and "
                    + Shape.str(target.shapeRef()) + ": they must be equal");
        }
        return prediction.sub(target).square().mean();
    }

    // ------------------------------------------------------------------ convolution and pooling

    /**
     * 2-D convolution (cross-correlation, as PyTorch), by im2col and GEMM.
     *
     * @param x {@code [n, c, h, w]}
     * @param weight {@code [out, c, kh, kw]}
     * @param bias {@code [out]}, or null
     * @param stride the stride in both directions
     * @param padding zero padding on every side
     * @return {@code [n, out, oh, ow]}
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        if (x.dim() != 4 || weight.dim() != 4 || x.size(1) != weight.size(1)) {
            throw new IllegalArgumentException("conv2d needs input [n, c, h, w] and weight [out, c, kh, kw] with the same"
                    + " c, got " + Shape.str(x.shapeRef()) + " and " + Shape.str(weight.shapeRef()));
        }
        int n = x.size(0);
        int out = weight.size(0);
        ConvGeometry g = new ConvGeometry(x.size(1), x.size(2), x.size(3), weight.size(2), weight.size(3), stride, stride,
                padding, padding);
        int rowsK = g.columnRows();
        int spatial = g.columnCols();
        int wide = Math.multiplyExact(n, spatial);
        Tensor source = x.contiguousNoGrad();
        Tensor w = weight.contiguousNoGrad();
        Backend backend = x.backend();
        // All images' columns side by side, [c·kh·kw, n·oh·ow], so that the convolution is one
        // large matrix product rather than n small ones (the GEMM runs near its peak only when
        // every dimension is in the hundreds).
        Tensor columns = Tensor.empty(new int[] {rowsK, wide});
        backend.im2colImages(g, n, source.buffer(), source.offset(), columns.buffer(), 0, wide);
        Tensor product = Tensor.empty(new int[] {out, n, spatial});
        backend.sgemm(false, false, out, wide, rowsK, 1f, w.buffer(), w.offset(), rowsK, columns.buffer(), 0, wide, 0f,
                product.buffer(), 0, wide);
        // [out, n, oh·ow] to [n, out, oh·ow], adding the bias on the way when there is one (one
        // pass over the output rather than a copy and then an addition).
        Tensor y = Tensor.empty(new int[] {n, out, g.outHeight(), g.outWidth()});
        int[] shape = {n, out, spatial};
        long[] productStrides = {spatial, wide, 1};
        long[] yStrides = {(long) out * spatial, spatial, 1};
        if (bias == null) {
            backend.copy(shape, product.buffer(), 0, productStrides, y.buffer(), 0, yStrides);
        } else {
            if (bias.dim() != 1 || bias.size(0) != out) {
                throw new IllegalArgumentException("conv2d bias must be [" + out + "], got " + Shape.str(bias.shapeRef()));
            }
            Tensor b = bias.contiguousNoGrad();
            backend.binary(BinaryOp.ADD, shape, product.buffer(), 0, productStrides, b.buffer(), b.offset(),
                    new long[] {0, 1, 0}, y.buffer(), 0, yStrides);
        }
        product.release();
        return Tensor.result(y, bias == null ? new Conv2d(g, columns, x, weight) : new Conv2d(g, columns, x, weight, bias));
    }

    private static final class Conv2d extends Autograd.Node {
        private final ConvGeometry g;
        private final Tensor columns;

        /** Inputs x, weight and, when there is one, the bias. */
        Conv2d(ConvGeometry g, Tensor columns, Tensor... inputs) {
            super(inputs);
            this.g = g;
            this.columns = columns;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor x = inputs[0];
            Tensor weight = inputs[1];
            Backend backend = grad.backend();
            int n = x.size(0);
            int out = weight.size(0);
            int rowsK = g.columnRows();
            int spatial = g.columnCols();
            int wide = n * spatial;
            Tensor dy = grad.contiguousNoGrad();
            // [n, out, oh·ow] to [out, n·oh·ow], the layout of the forward product
            Tensor dyWide = Tensor.empty(new int[] {out, n, spatial});
            backend.copy(new int[] {out, n, spatial}, dy.buffer(), dy.offset(), new long[] {spatial,
                (long) out * spatial, 1}, dyWide.buffer(), 0, new long[] {wide, spatial, 1});
            if (weight.requiresGrad()) {
                Tensor dw = Tensor.empty(weight.shapeRef());
                backend.sgemm(false, true, out, rowsK, wide, 1f, dyWide.buffer(), 0, wide, columns.buffer(), 0, wide, 0f,
                        dw.buffer(), 0, rowsK);
                sink.add(weight, dw);
            }
            if (inputs.length == 3 && inputs[2].requiresGrad()) { // the bias: each output channel's row sum
                Tensor db = Tensor.empty(new int[] {out});
                backend.reduce(ReduceOp.SUM, new int[] {out, wide}, dyWide.buffer(), 0, new long[] {wide, 1},
                        db.buffer(), 0, new long[] {1, 0}, false, null);
                sink.add(inputs[2], db);
            }
            if (x.requiresGrad()) {
                Tensor w = weight.contiguousNoGrad();
                Tensor dcols = Tensor.empty(new int[] {rowsK, wide});
                backend.sgemm(true, false, rowsK, wide, out, 1f, w.buffer(), w.offset(), rowsK, dyWide.buffer(), 0, wide,
                        0f, dcols.buffer(), 0, wide);
                Tensor dx = Tensor.empty(x.shapeRef());
                backend.col2imImages(g, n, dcols.buffer(), 0, wide, dx.buffer(), 0);
                dcols.release();
                sink.add(x, dx);
            }
            dyWide.release();
        }
    }

    /** 2-D max pooling of {@code [n, c, h, w]}; gradients go to each window's first maximum. */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return pool(x, kernel, stride, padding, true);
    }

    /** 2-D average pooling of {@code [n, c, h, w]} (padding counts as zeros). */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return pool(x, kernel, stride, padding, false);
    }

    private static Tensor pool(Tensor x, int kernel, int stride, int padding, boolean max) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("pooling needs [n, c, h, w], got " + Shape.str(x.shapeRef()));
        }
        PoolGeometry g = new PoolGeometry(x.size(2), x.size(3), kernel, kernel, stride, stride, padding, padding);
        int planes = x.size(0) * x.size(1);
        Tensor source = x.contiguousNoGrad();
        Tensor y = Tensor.empty(new int[] {x.size(0), x.size(1), g.outHeight(), g.outWidth()});
        Tensor argmax = max ? Tensor.empty(y.shapeRef(), DType.I32) : null;
        x.backend().pool2d(g, max, planes, source.buffer(), source.offset(), y.buffer(), 0,
                argmax == null ? null : argmax.buffer());
        return Tensor.result(y, new Pool(x, g, planes, max, argmax));
    }

    private static final class Pool extends Autograd.Node {
        private final PoolGeometry g;
        private final int planes;
        private final boolean max;
        private final Tensor argmax;

        Pool(Tensor x, PoolGeometry g, int planes, boolean max, Tensor argmax) {
            super(x);
            this.g = g;
            this.planes = planes;
            this.max = max;
            this.argmax = argmax;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor dx = Tensor.empty(inputs[0].shapeRef());
            grad.backend().pool2dBackward(g, max, planes, grad.buffer(), grad.offset(),
                    argmax == null ? null : argmax.buffer(), dx.buffer(), 0);
            sink.add(inputs[0], dx);
        }
    }

    // ------------------------------------------------------------------ regularisation

    /**
     * Dropout: in training, zeroes each element with probability {@code p} and scales the
     * rest by {@code 1/(1-p)}; the mask derives from {@code seed} alone, so it replays.
     *
     * @param seed a different value per call (the module's counter), for independent masks
     */
    public static Tensor dropout(Tensor x, float p, boolean training, long seed) {
        if (!training || p == 0f) {
            return x;
        }
        Tensor source = x.contiguousNoGrad();
        Tensor y = Tensor.empty(x.shapeRef());
        Tensor mask = Tensor.empty(x.shapeRef());
        x.backend().dropout(x.numel(), p, seed, source.buffer(), source.offset(), y.buffer(), 0, mask.buffer());
        return Tensor.result(y, new Dropout(x, mask, 1f / (1f - p)));
    }

    private static final class Dropout extends Autograd.Node {
        private final Tensor mask;
        private final float scale;

        Dropout(Tensor x, Tensor mask, float scale) {
            super(x);
            this.mask = mask;
            this.scale = scale;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor dx = Tensor.empty(mask.shapeRef());
            int[] shape = mask.shapeRef();
            grad.backend().binary(BinaryOp.MUL, shape, grad.buffer(), grad.offset(), grad.stridesRef(), mask.buffer(), 0,
                    mask.stridesRef(), dx.buffer(), 0, dx.stridesRef());
            grad.backend().scale(dx.numel(), scale, dx.buffer(), 0);
            sink.add(inputs[0], dx);
        }
    }

    // ------------------------------------------------------------------ normalisation

    /** Layer normalisation over the last dimension: {@code [..., d]} with gamma and beta {@code [d]}. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int cols = x.size(-1);
        if (gamma.numel() != cols || beta.numel() != cols) {
            throw new IllegalArgumentException("layerNorm of " + Shape.str(x.shapeRef()) + " needs gamma and beta of "
                    + cols + " elements, got " + Shape.str(gamma.shapeRef()) + " and " + Shape.str(beta.shapeRef()));
        }
        int rows = (int) (x.numel() / cols);
        Tensor source = x.contiguousNoGrad();
        Tensor y = Tensor.empty(x.shapeRef());
        Tensor mean = Tensor.empty(new int[] {rows});
        Tensor rstd = Tensor.empty(new int[] {rows});
        x.backend().layerNorm(rows, cols, eps, source.buffer(), source.offset(), gamma.contiguousNoGrad().buffer(),
                beta.contiguousNoGrad().buffer(), y.buffer(), 0, mean.buffer(), rstd.buffer());
        return Tensor.result(y, new LayerNorm(x, gamma, beta, source, mean, rstd, rows, cols));
    }

    private static final class LayerNorm extends Autograd.Node {
        private final Tensor source;
        private final Tensor mean;
        private final Tensor rstd;
        private final int rows;
        private final int cols;

        LayerNorm(Tensor x, Tensor gamma, Tensor beta, Tensor source, Tensor mean, Tensor rstd, int rows, int cols) {
            super(x, gamma, beta);
            this.source = source;
            this.mean = mean;
            this.rstd = rstd;
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor dx = Ops.zeros(inputs[0].shapeRef());
            Tensor dgamma = Ops.zeros(inputs[1].shapeRef());
            Tensor dbeta = Ops.zeros(inputs[2].shapeRef());
            grad.backend().layerNormBackward(rows, cols, grad.buffer(), grad.offset(), source.buffer(), source.offset(),
                    mean.buffer(), rstd.buffer(), inputs[1].contiguousNoGrad().buffer(), dx.buffer(), 0, dgamma.buffer(),
                    dbeta.buffer());
            sink.add(inputs[0], dx);
            sink.add(inputs[1], dgamma);
            sink.add(inputs[2], dbeta);
        }
    }

    /**
     * Batch normalisation of {@code [n, c]} or {@code [n, c, h, w]} per channel, updating the
     * running statistics in training (as PyTorch, unbiased running variance).
     */
    public static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
            boolean training, float momentum, float eps) {
        if (x.dim() != 2 && x.dim() != 4) {
            throw new IllegalArgumentException("batchNorm needs [n, c] or [n, c, h, w], got " + Shape.str(x.shapeRef()));
        }
        int n = x.size(0);
        int channels = x.size(1);
        int spatial = x.dim() == 4 ? x.size(2) * x.size(3) : 1;
        Tensor source = x.contiguousNoGrad();
        Tensor y = Tensor.empty(x.shapeRef());
        Tensor mean = Tensor.empty(new int[] {channels});
        Tensor rstd = Tensor.empty(new int[] {channels});
        x.backend().batchNorm(n, channels, spatial, training, momentum, eps, source.buffer(), source.offset(),
                gamma.buffer(), beta.buffer(), runningMean.buffer(), runningVar.buffer(), y.buffer(), 0, mean.buffer(),
                rstd.buffer());
        if (!training) {
            return Tensor.result(y, new BatchNormEval(x, gamma, beta, runningVar, eps, channels, spatial, source,
                    runningMean));
        }
        return Tensor.result(y, new BatchNorm(x, gamma, beta, source, mean, rstd, n, channels, spatial));
    }

    private static final class BatchNorm extends Autograd.Node {
        private final Tensor source;
        private final Tensor mean;
        private final Tensor rstd;
        private final int n;
        private final int channels;
        private final int spatial;

        BatchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor source, Tensor mean, Tensor rstd, int n, int channels,
                int spatial) {
            super(x, gamma, beta);
            this.source = source;
            this.mean = mean;
            this.rstd = rstd;
            this.n = n;
            this.channels = channels;
            this.spatial = spatial;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor dx = Ops.zeros(inputs[0].shapeRef());
            Tensor dgamma = Ops.zeros(inputs[1].shapeRef());
            Tensor dbeta = Ops.zeros(inputs[2].shapeRef());
            grad.backend().batchNormBackward(n, channels, spatial, grad.buffer(), grad.offset(), source.buffer(),
                    source.offset(), mean.buffer(), rstd.buffer(), inputs[1].buffer(), dx.buffer(), 0, dgamma.buffer(),
                    dbeta.buffer());
            sink.add(inputs[0], dx);
            sink.add(inputs[1], dgamma);
            sink.add(inputs[2], dbeta);
        }
    }

    /** Evaluation-mode batch norm is affine per channel: its gradient is too. */
    private static final class BatchNormEval extends Autograd.Node {
        private final Tensor runningVar;
        private final Tensor runningMean;
        private final float eps;
        private final int channels;
        private final int spatial;
        private final Tensor source;

        BatchNormEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningVar, float eps, int channels, int spatial,
                Tensor source, Tensor runningMean) {
            super(x, gamma, beta);
            this.runningVar = runningVar;
            this.runningMean = runningMean;
            this.eps = eps;
            this.channels = channels;
            this.spatial = spatial;
            this.source = source;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            float[] var = runningVar.toFloatArray();
            float[] mu = runningMean.toFloatArray();
            float[] gamma = inputs[1].toFloatArray();
            float[] g = grad.toFloatArray();
            float[] x = source.toFloatArray();
            int n = g.length / (channels * spatial);
            float[] dx = new float[g.length];
            float[] dgamma = new float[channels];
            float[] dbeta = new float[channels];
            for (int b = 0; b < n; b++) {
                for (int c = 0; c < channels; c++) {
                    float inv = (float) (1.0 / Math.sqrt(var[c] + eps));
                    for (int s = 0; s < spatial; s++) {
                        int i = (b * channels + c) * spatial + s;
                        dx[i] = g[i] * gamma[c] * inv;
                        dgamma[c] += g[i] * (x[i] - mu[c]) * inv;
                        dbeta[c] += g[i];
                    }
                }
            }
            sink.add(inputs[0], Tensors.of(dx, inputs[0].shape()));
            sink.add(inputs[1], Tensors.of(dgamma, inputs[1].shape()));
            sink.add(inputs[2], Tensors.of(dbeta, inputs[2].shape()));
        }
    }

    // ------------------------------------------------------------------ embedding, attention

    /**
     * Rows of {@code table} picked by {@code indices}.
     *
     * @param indices int32, any shape
     * @param table {@code [vocabulary, dim]}
     * @return {@code [..indices shape.., dim]}
     */
    public static Tensor embedding(Tensor indices, Tensor table) {
        if (indices.dtype() != DType.I32 || table.dim() != 2) {
            throw new IllegalArgumentException("embedding needs int32 indices and a [vocabulary, dim] table, got "
                    + indices.dtype() + " " + Shape.str(indices.shapeRef()) + " and " + Shape.str(table.shapeRef()));
        }
        int dim = table.size(1);
        int count = (int) indices.numel();
        Tensor idx = indices.contiguousNoGrad();
        int[] outShape = Arrays.copyOf(indices.shapeRef(), indices.dim() + 1);
        outShape[indices.dim()] = dim;
        Tensor out = Tensor.empty(outShape);
        Tensor t = table.contiguousNoGrad();
        table.backend().gather(count, dim, t.buffer(), idx.buffer(), idx.offset(), out.buffer(), 0);
        return Tensor.result(out, new Embedding(table, idx, count, dim));
    }

    private static final class Embedding extends Autograd.Node {
        private final Tensor indices;
        private final int count;
        private final int dim;

        Embedding(Tensor table, Tensor indices, int count, int dim) {
            super(table);
            this.indices = indices;
            this.count = count;
            this.dim = dim;
        }

        @Override
        void backward(Tensor grad, Autograd.Gradients sink) {
            Tensor dtable = Ops.zeros(inputs[0].shapeRef());
            grad.backend().scatterAdd(count, dim, grad.buffer(), grad.offset(), indices.buffer(), indices.offset(),
                    dtable.buffer());
            sink.add(inputs[0], dtable);
        }
    }

    /**
     * Scaled dot-product attention: {@code softmax(q kᵀ / √d + mask) v}.
     *
     * @param q {@code [..., t, d]}
     * @param k {@code [..., s, d]}
     * @param v {@code [..., s, dv]}
     * @param causal whether a query sees only keys up to its own position
     * @return {@code [..., t, dv]}
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal) {
        Objects.requireNonNull(q, "q");
        int d = q.size(-1);
        if (k.size(-1) != d || k.size(-2) != v.size(-2)) {
            throw new IllegalArgumentException("attention shapes do not match: q " + Shape.str(q.shapeRef()) + ", k "
                    + Shape.str(k.shapeRef()) + ", v " + Shape.str(v.shapeRef()));
        }
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul((float) (1.0 / Math.sqrt(d)));
        if (causal) {
            int t = scores.size(-2);
            int s = scores.size(-1);
            int batch = (int) (scores.numel() / ((long) t * s));
            // Masked scores become -inf, so their softmax weight and gradient are 0.
            scores.backend().causalMask(batch, t, s, scores.buffer(), scores.offset());
        }
        return scores.softmax(-1).matmul(v);
    }
}
