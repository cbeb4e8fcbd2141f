package io.zbmd.ml.tensor;

/** Backward passes of the view operations: they move gradients, they compute nothing. */
final class Views {
    private Views() {}

    /** Reshape, unsqueeze, contiguous copies: the gradient takes the input's shape back. */
    static final class Reshape extends Autograd.Node {
        Reshape(Tensor input) {
            super(input);
        }

        @Override
        void backward(Tensor gradOutput, Autograd.Gradients sink) {
            Tensor input = inputs[0];
            Tensor g = gradOutput.contiguousNoGrad();
            sink.add(input, new Tensor(g.storage, input.shape(), Shape.contiguousStrides(input.shapeRef()), g.offset()));
        }
    }

    /** Permute: the gradient is permuted back. */
    static final class Permute extends Autograd.Node {
        private final int[] order;

        Permute(Tensor input, int[] order) {
            super(input);
            this.order = order.clone();
        }

        @Override
        void backward(Tensor gradOutput, Autograd.Gradients sink) {
            int rank = order.length;
            int[] inverse = new int[rank];
            for (int i = 0; i < rank; i++) {
                inverse[Shape.normalize(order[i], rank)] = i;
            }
            sink.add(inputs[0], gradOutput.detach().permute(inverse));
        }
    }

    /** Slice: the gradient lands in the sliced region of zeros. */
    static final class Slice extends Autograd.Node {
        private final int dim;
        private final int start;

        Slice(Tensor input, int dim, int start) {
            super(input);
            this.dim = dim;
            this.start = start;
        }

        @Override
        void backward(Tensor gradOutput, Autograd.Gradients sink) {
            Tensor input = inputs[0];
            Tensor full = Ops.zeros(input.shapeRef());
            long[] strides = full.stridesRef();
            long regionOffset = start * strides[dim];
            full.backend().copy(gradOutput.shapeRef(), gradOutput.buffer(), gradOutput.offset(), gradOutput.stridesRef(),
                    full.buffer(), regionOffset, strides);
            sink.add(input, full);
        }
    }
}
