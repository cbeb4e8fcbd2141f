package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import java.util.Arrays;

/**
 * Batched matrix products of tensor views on the backend's GEMM, without copies where the
 * views allow: a matrix whose last dimension is contiguous is used as is, one whose
 * second-to-last is contiguous is used as a transposed matrix, anything else is copied.
 * Batch dimensions broadcast; a batched left operand times a plain matrix is folded into
 * one large product (a linear layer on a sequence).
 */
final class Gemm {
    private Gemm() {}

    /** A matrix operand: where it starts, its leading dimension, whether it is stored transposed. */
    private record Mat(Tensor tensor, long[] batchStrides, int ld, boolean transposed, int rows, int cols) {}

    /** The logical (rows × cols) matrices of {@code t}'s last two dimensions, transposed if asked. */
    private static Mat matrices(Tensor t, boolean transpose, int[] batchShape) {
        int rank = t.dim();
        int r = t.shapeRef()[rank - 2];
        int c = t.shapeRef()[rank - 1];
        long sr = t.stridesRef()[rank - 2];
        long sc = t.stridesRef()[rank - 1];
        Tensor source = t;
        boolean stored;
        long ld;
        if (sc == 1 && sr >= c) {
            stored = false;
            ld = sr;
        } else if (sr == 1 && sc >= r) {
            stored = true;
            ld = sc;
        } else {
            source = t.contiguousNoGrad();
            stored = false;
            ld = c;
        }
        int[] tBatch = Arrays.copyOf(source.shapeRef(), rank - 2);
        long[] batchStrides = Shape.broadcastStrides(tBatch, Arrays.copyOf(source.stridesRef(), rank - 2), batchShape);
        int rows = transpose ? c : r;
        int cols = transpose ? r : c;
        return new Mat(source, batchStrides, Math.toIntExact(ld), stored ^ transpose, rows, cols);
    }

    private static int[] batchOf(Tensor t) {
        return Arrays.copyOf(t.shapeRef(), t.dim() - 2);
    }

    /** {@code op(a) @ op(b)}, where op transposes the last two dimensions when asked. */
    static Tensor product(Tensor a, boolean transA, Tensor b, boolean transB) {
        if (b.dim() == 2 && a.dim() > 2 && !transA) {
            return folded(a, b, transB);
        }
        int[] batch = Shape.broadcast(batchOf(a), batchOf(b));
        Mat ma = matrices(a, transA, batch);
        Mat mb = matrices(b, transB, batch);
        if (ma.cols() != mb.rows()) {
            throw new IllegalArgumentException("matmul of " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef())
                    + ": inner dimensions " + ma.cols() + " and " + mb.rows() + " differ");
        }
        int m = ma.rows();
        int n = mb.cols();
        int k = ma.cols();
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = Tensor.empty(outShape);
        Backend backend = a.backend();
        int batches = (int) Shape.numel(batch);
        int[] index = new int[batch.length];
        for (int i = 0; i < batches; i++) {
            long aOffset = ma.tensor().offset();
            long bOffset = mb.tensor().offset();
            for (int d = 0; d < batch.length; d++) {
                aOffset += index[d] * ma.batchStrides()[d];
                bOffset += index[d] * mb.batchStrides()[d];
            }
            backend.sgemm(ma.transposed(), mb.transposed(), m, n, k, 1f, ma.tensor().buffer(), aOffset, ma.ld(),
                    mb.tensor().buffer(), bOffset, mb.ld(), 0f, out.buffer(), (long) i * m * n, n);
            for (int d = batch.length - 1; d >= 0 && ++index[d] == batch[d]; d--) {
                index[d] = 0;
            }
        }
        return out;
    }

    /** {@code [..., m, k] @ [k, n]} as one {@code [B·m, k] @ [k, n]} product. */
    private static Tensor folded(Tensor a, Tensor b, boolean transB) {
        Tensor source = a.contiguousNoGrad();
        int k = source.size(-1);
        int rows = (int) (source.numel() / k);
        Mat mb = matrices(b, transB, new int[0]);
        if (mb.rows() != k) {
            throw new IllegalArgumentException("matmul of " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef())
                    + ": inner dimensions " + k + " and " + mb.rows() + " differ");
        }
        int n = mb.cols();
        int[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        Tensor out = Tensor.empty(outShape);
        a.backend().sgemm(false, mb.transposed(), rows, n, k, 1f, source.buffer(), source.offset(), k,
                mb.tensor().buffer(), mb.tensor().offset(), mb.ld(), 0f, out.buffer(), 0, n);
        return out;
    }

    /**
     * The gradient of the right operand of {@code a @ b} given the output gradient
     * {@code g}: {@code aᵀ @ g}, summed over batch dimensions {@code b} was broadcast over.
     */
    static Tensor gradientOfRight(Tensor a, Tensor g, int[] bShape) {
        if (bShape.length == 2 && a.dim() > 2) {
            Tensor source = a.contiguousNoGrad();
            Tensor grad = g.contiguousNoGrad();
            int k = source.size(-1);
            int n = grad.size(-1);
            int rows = (int) (source.numel() / k);
            Tensor out = Tensor.empty(bShape);
            a.backend().sgemm(true, false, k, n, rows, 1f, source.buffer(), source.offset(), k, grad.buffer(),
                    grad.offset(), n, 0f, out.buffer(), 0, n);
            return out;
        }
        return Ops.sumTo(product(a, true, g, false), bShape);
    }

    /**
     * {@code x @ weightᵀ} for {@code x [..., in]} and {@code weight [out, in]}, as one
     * {@code [B, in] @ [in, out]} product reading the weight transposed in place, recorded as
     * one node whose backward writes each gradient in its own layout: {@code dx = g @ weight},
     * {@code dweight = gᵀ @ x} (not {@code xᵀ @ g} then a transposing copy, which is what
     * {@code x.matmul(weight.transpose(0, 1))} costs).
     */
    static Tensor linear(Tensor x, Tensor weight) {
        Tensor source = x.contiguousNoGrad();
        Tensor w = weight.contiguousNoGrad();
        int in = w.size(1);
        int out = w.size(0);
        int rows = (int) (source.numel() / in);
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = out;
        Tensor y = Tensor.empty(outShape);
        x.backend().sgemm(false, true, rows, out, in, 1f, source.buffer(), source.offset(), in, w.buffer(), w.offset(),
                in, 0f, y.buffer(), 0, out);
        return Tensor.result(y, new Linear(x, weight));
    }

    private static final class Linear extends Autograd.Node {
        Linear(Tensor x, Tensor weight) {
            super(x, weight);
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor x = inputs[0];
            Tensor weight = inputs[1];
            Tensor grad = g.contiguousNoGrad();
            Backend backend = grad.backend();
            int in = weight.size(1);
            int out = weight.size(0);
            int rows = (int) (grad.numel() / out);
            if (x.requiresGrad()) {
                Tensor w = weight.contiguousNoGrad();
                Tensor dx = Tensor.empty(x.shapeRef());
                backend.sgemm(false, false, rows, in, out, 1f, grad.buffer(), grad.offset(), out, w.buffer(), w.offset(),
                        in, 0f, dx.buffer(), 0, in);
                sink.add(x, dx);
            }
            if (weight.requiresGrad()) {
                Tensor source = x.contiguousNoGrad();
                Tensor dw = Tensor.empty(weight.shapeRef());
                backend.sgemm(true, false, out, in, rows, 1f, grad.buffer(), grad.offset(), out, source.buffer(),
                        source.offset(), in, 0f, dw.buffer(), 0, in);
                sink.add(weight, dw);
            }
        }
    }
}
