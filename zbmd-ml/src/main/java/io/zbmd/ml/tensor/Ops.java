package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import java.util.Arrays;

/** The arithmetic operations of {@link Tensor}: forward on the backend, and their gradients. */
final class Ops {
    private Ops() {}

    static Tensor zeros(int[] shape) {
        Tensor t = Tensor.empty(shape);
        t.backend().fill(t.buffer(), 0, t.numel(), 0f);
        return t;
    }

    static Tensor scalar(float value) {
        Tensor t = Tensor.empty(new int[0]);
        t.backend().fill(t.buffer(), 0, 1, value);
        return t;
    }

    private static void requireFloat(String op, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + " needs float32 tensors, got " + t.dtype()
                    + " (convert with to(DType.F32))");
        }
    }

    private static void sameBackend(Tensor a, Tensor b) {
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException("tensors on different backends: " + a.backend().device().name() + " and "
                    + b.backend().device().name());
        }
    }

    // ------------------------------------------------------------------ element-wise

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        requireFloat(op.name(), a);
        requireFloat(op.name(), b);
        sameBackend(a, b);
        int[] shape = Shape.broadcast(a.shapeRef(), b.shapeRef());
        Tensor out = Tensor.empty(shape);
        apply(op, shape, a, b, out);
        return Tensor.result(out, new Binary(op, a, b, shape));
    }

    private static void apply(BinaryOp op, int[] shape, Tensor a, Tensor b, Tensor out) {
        out.backend().binary(op, shape, a.buffer(), a.offset(), Shape.broadcastStrides(a.shapeRef(), a.stridesRef(), shape),
                b.buffer(), b.offset(), Shape.broadcastStrides(b.shapeRef(), b.stridesRef(), shape), out.buffer(),
                out.offset(), out.stridesRef());
    }

    /** Sums a gradient of the broadcast shape down to {@code target}'s shape. */
    static Tensor sumTo(Tensor gradient, int[] target) {
        if (Arrays.equals(gradient.shapeRef(), target)) {
            return gradient;
        }
        int[] shape = gradient.shapeRef();
        Tensor out = Tensor.empty(target);
        long[] outStrides = Shape.broadcastStrides(target, out.stridesRef(), shape);
        out.backend().reduce(ReduceOp.SUM, shape, gradient.buffer(), gradient.offset(), gradient.stridesRef(),
                out.buffer(), 0, outStrides, false, null);
        return out;
    }

    private static final class Binary extends Autograd.Node {
        private final BinaryOp op;
        private final int[] shape;

        Binary(BinaryOp op, Tensor a, Tensor b, int[] shape) {
            super(a, b);
            this.op = op;
            this.shape = shape;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor a = inputs[0];
            Tensor b = inputs[1];
            switch (op) {
                case ADD -> {
                    sink.add(a, sumTo(g, a.shapeRef()));
                    sink.add(b, sumTo(g, b.shapeRef()));
                }
                case SUB -> {
                    sink.add(a, sumTo(g, a.shapeRef()));
                    if (b.requiresGrad()) {
                        sink.add(b, negate(sumTo(g, b.shapeRef())));
                    }
                }
                case MUL -> {
                    if (a.requiresGrad()) {
                        sink.add(a, sumTo(times(BinaryOp.MUL, g, b), a.shapeRef()));
                    }
                    if (b.requiresGrad()) {
                        sink.add(b, sumTo(times(BinaryOp.MUL, g, a), b.shapeRef()));
                    }
                }
                case DIV -> {
                    if (a.requiresGrad()) {
                        sink.add(a, sumTo(times(BinaryOp.DIV, g, b), a.shapeRef()));
                    }
                    if (b.requiresGrad()) {
                        // d(a/b)/db = -a / b²
                        Tensor quotient = times(BinaryOp.DIV, times(BinaryOp.MUL, g, a), b);
                        Tensor scaled = times(BinaryOp.DIV, quotient, b);
                        sink.add(b, negate(sumTo(scaled, b.shapeRef())));
                    }
                }
                default -> throw new IllegalStateException("no gradient for " + op);
            }
        }

        private Tensor times(BinaryOp with, Tensor x, Tensor y) {
            Tensor out = Tensor.empty(shape);
            apply(with, shape, x, y, out);
            return out;
        }
    }

    private static Tensor negate(Tensor t) {
        Tensor c = t.contiguousNoGrad();
        Tensor out = c == t ? copyOf(t) : c;
        out.backend().scale(out.numel(), -1f, out.buffer(), out.offset());
        return out;
    }

    private static Tensor copyOf(Tensor t) {
        Tensor out = Tensor.empty(t.shapeRef());
        t.backend().copy(t.shapeRef(), t.buffer(), t.offset(), t.stridesRef(), out.buffer(), 0, out.stridesRef());
        return out;
    }

    /** {@code x · scale + shift}. */
    static Tensor affine(Tensor x, float scale, float shift) {
        requireFloat("arithmetic", x);
        Tensor out = copyOf(x);
        Backend backend = x.backend();
        if (scale != 1f) {
            backend.scale(out.numel(), scale, out.buffer(), 0);
        }
        if (shift != 0f) {
            Tensor s = scalar(shift);
            int[] shape = out.shapeRef();
            backend.binary(BinaryOp.ADD, shape, out.buffer(), 0, out.stridesRef(), s.buffer(), 0, new long[shape.length],
                    out.buffer(), 0, out.stridesRef());
        }
        return Tensor.result(out, new Affine(x, scale));
    }

    private static final class Affine extends Autograd.Node {
        private final float scale;

        Affine(Tensor x, float scale) {
            super(x);
            this.scale = scale;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor out = copyOf(g);
            if (scale != 1f) {
                out.backend().scale(out.numel(), scale, out.buffer(), 0);
            }
            sink.add(inputs[0], out);
        }
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        requireFloat(op.name(), x);
        Tensor source = x.contiguousNoGrad();
        Tensor out = Tensor.empty(x.shapeRef());
        x.backend().unary(op, out.numel(), source.buffer(), source.offset(), out.buffer(), 0);
        return Tensor.result(out, new Unary(op, x, source, out));
    }

    private static final class Unary extends Autograd.Node {
        private final UnaryOp op;
        private final Tensor source;
        private final Tensor output;

        Unary(UnaryOp op, Tensor x, Tensor source, Tensor output) {
            super(x);
            this.op = op;
            this.source = source;
            this.output = output;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor dx = zeros(source.shapeRef());
            g.backend().unaryBackward(op, dx.numel(), source.buffer(), source.offset(), output.buffer(), output.offset(),
                    g.buffer(), g.offset(), dx.buffer(), 0);
            sink.add(inputs[0], dx);
        }
    }

    // ------------------------------------------------------------------ matrix product

    static Tensor matmul(Tensor a, Tensor b) {
        requireFloat("matmul", a);
        requireFloat("matmul", b);
        sameBackend(a, b);
        if (a.dim() == 1 || b.dim() == 1) {
            // As NumPy: a vector on the left is a row, on the right a column; that dimension is then dropped.
            Tensor product = matmul(a.dim() == 1 ? a.unsqueeze(0) : a, b.dim() == 1 ? b.unsqueeze(1) : b);
            int[] shape = product.shape();
            int drop = (a.dim() == 1 ? 1 : 0) + (b.dim() == 1 ? 1 : 0);
            int[] kept = Arrays.copyOf(shape, Math.max(1, shape.length - drop));
            if (a.dim() == 1 && b.dim() > 1) {
                kept[kept.length - 1] = shape[shape.length - 1];
            }
            return product.reshape(kept);
        }
        int k = a.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul of " + Shape.str(a.shapeRef()) + " and " + Shape.str(b.shapeRef())
                    + ": inner dimensions " + k + " and " + b.size(-2) + " differ");
        }
        Tensor out = Gemm.product(a, false, b, false);
        return Tensor.result(out, new MatMul(a, b));
    }

    private static final class MatMul extends Autograd.Node {
        MatMul(Tensor a, Tensor b) {
            super(a, b);
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor a = inputs[0];
            Tensor b = inputs[1];
            if (a.requiresGrad()) {
                sink.add(a, sumTo(Gemm.product(g, false, b, true), a.shapeRef()));
            }
            if (b.requiresGrad()) {
                sink.add(b, Gemm.gradientOfRight(a, g, b.shapeRef()));
            }
        }
    }

    // ------------------------------------------------------------------ reductions

    static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        requireFloat("sum", x);
        int rank = x.dim();
        boolean[] reduced = new boolean[rank];
        for (int d : dims) {
            reduced[Shape.normalize(d, rank)] = true;
        }
        int[] kept = x.shape();
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                kept[d] = 1;
            }
        }
        Tensor out = Tensor.empty(kept);
        long[] outStrides = out.strides();
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                outStrides[d] = 0;
            }
        }
        x.backend().reduce(ReduceOp.SUM, x.shapeRef(), x.buffer(), x.offset(), x.stridesRef(), out.buffer(), 0,
                outStrides, false, null);
        Tensor result = Tensor.result(out, new Expand(x, kept));
        return keepDim ? result : squeeze(result, reduced);
    }

    private static Tensor squeeze(Tensor t, boolean[] reduced) {
        int count = 0;
        for (boolean r : reduced) {
            count += r ? 0 : 1;
        }
        int[] shape = new int[count];
        int[] full = t.shapeRef();
        for (int d = 0, i = 0; d < full.length; d++) {
            if (!reduced[d]) {
                shape[i++] = full[d];
            }
        }
        Tensor view = new Tensor(t.storage, shape, Shape.contiguousStrides(shape), t.offset());
        return Tensor.result(view, new Views.Reshape(t));
    }

    /** Gradient of a sum: the output gradient broadcast back over the summed dimensions. */
    private static final class Expand extends Autograd.Node {
        private final int[] keptShape;

        Expand(Tensor x, int[] keptShape) {
            super(x);
            this.keptShape = keptShape;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor x = inputs[0];
            int[] shape = x.shapeRef();
            Tensor dx = Tensor.empty(shape);
            long[] gStrides = Shape.broadcastStrides(keptShape, Shape.contiguousStrides(keptShape), shape);
            dx.backend().copy(shape, g.buffer(), g.offset(), gStrides, dx.buffer(), 0, dx.stridesRef());
            sink.add(x, dx);
        }
    }

    static Tensor max(Tensor x, int dim, boolean keepDim) {
        requireFloat("max", x);
        int rank = x.dim();
        int[] kept = x.shape();
        kept[dim] = 1;
        Tensor out = Tensor.empty(kept);
        long[] outStrides = out.strides();
        outStrides[dim] = 0;
        Tensor argmax = Tensor.empty(kept, DType.I32);
        x.backend().reduce(ReduceOp.MAX, x.shapeRef(), x.buffer(), x.offset(), x.stridesRef(), out.buffer(), 0, outStrides,
                false, argmax.buffer());
        Tensor result = Tensor.result(out, new MaxNode(x, argmax));
        boolean[] reduced = new boolean[rank];
        reduced[dim] = true;
        return keepDim ? result : squeeze(result, reduced);
    }

    private static final class MaxNode extends Autograd.Node {
        private final Tensor argmax;

        MaxNode(Tensor x, Tensor argmax) {
            super(x);
            this.argmax = argmax;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor dx = zeros(inputs[0].shapeRef());
            int count = (int) argmax.numel();
            g.backend().scatterAdd(count, 1, g.buffer(), g.offset(), argmax.buffer(), 0, dx.buffer());
            sink.add(inputs[0], dx);
        }
    }

    // ------------------------------------------------------------------ softmax

    static Tensor softmax(Tensor x, int dim, boolean log) {
        requireFloat("softmax", x);
        if (Shape.normalize(dim, x.dim()) != x.dim() - 1) {
            throw new IllegalArgumentException("softmax is taken over the last dimension (use -1); for dimension " + dim
                    + " of a tensor of shape " + Shape.str(x.shapeRef()) + ", transpose it to the end first");
        }
        Tensor source = x.contiguousNoGrad();
        int cols = x.size(-1);
        int rows = (int) (x.numel() / cols);
        Tensor out = Tensor.empty(x.shapeRef());
        x.backend().softmax(rows, cols, log, source.buffer(), source.offset(), out.buffer(), 0);
        return Tensor.result(out, new Softmax(x, out, rows, cols, log));
    }

    private static final class Softmax extends Autograd.Node {
        private final Tensor output;
        private final int rows;
        private final int cols;
        private final boolean log;

        Softmax(Tensor x, Tensor output, int rows, int cols, boolean log) {
            super(x);
            this.output = output;
            this.rows = rows;
            this.cols = cols;
            this.log = log;
        }

        @Override
        void backward(Tensor g, Autograd.Gradients sink) {
            Tensor dx = zeros(output.shapeRef());
            g.backend().softmaxBackward(rows, cols, log, output.buffer(), 0, g.buffer(), g.offset(), dx.buffer(), 0);
            sink.add(inputs[0], dx);
        }
    }
}
