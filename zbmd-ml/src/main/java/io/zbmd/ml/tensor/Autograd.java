package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode automatic differentiation over the graph that operations record: every
 * operation on a tensor that requires a gradient records a {@link Node} (its inputs and how
 * to push a gradient back through it); {@link Tensor#backward()} walks the graph from the
 * output in reverse topological order and sums the gradients of every use of a tensor.
 * Leaf tensors (parameters) accumulate into {@link Tensor#grad()} across calls until
 * {@link Tensor#zeroGrad()}; intermediate gradients live in the current scope.
 *
 * <p>Recording can be switched off for a block with {@link #noGrad()} (evaluation,
 * optimizer updates), per thread.
 */
public final class Autograd {
    private static final ThreadLocal<Boolean> DISABLED = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private Autograd() {}

    /** @return whether operations on this thread record the graph now */
    public static boolean enabled() {
        return !DISABLED.get();
    }

    /**
     * Stops recording the graph on this thread until the returned handle is closed.
     *
     * <pre>{@code
     * try (var ignored = Autograd.noGrad()) { accuracy = evaluate(net, test); }
     * }</pre>
     *
     * @return restores the previous mode when closed
     */
    public static NoGrad noGrad() {
        boolean before = DISABLED.get();
        DISABLED.set(Boolean.TRUE);
        return new NoGrad(before);
    }

    /** A {@link #noGrad()} region; closing it restores the mode from before. */
    public static final class NoGrad implements AutoCloseable {
        private final boolean before;

        private NoGrad(boolean before) {
            this.before = before;
        }

        @Override
        public void close() {
            DISABLED.set(before);
        }
    }

    /** A recorded operation. */
    abstract static class Node {
        final Tensor[] inputs;

        Node(Tensor... inputs) {
            this.inputs = inputs;
        }

        /** Pushes the output's gradient to the inputs that require one, through {@code sink}. */
        abstract void backward(Tensor gradOutput, Gradients sink);

        /** @return a short name, for error messages */
        String name() {
            return getClass().getSimpleName();
        }
    }

    /** Where a node's backward puts its inputs' gradients: summed per tensor. */
    static final class Gradients {
        private final Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        /** Storages of pending gradients: a gradient passed on to two inputs must not be shared. */
        private final Map<Storage, Boolean> owned = new IdentityHashMap<>();

        /**
         * Adds a gradient for {@code input} (ignored if it does not require one). The
         * gradient must have the input's shape; this takes ownership of it.
         */
        void add(Tensor input, Tensor gradient) {
            if (!input.requiresGrad()) {
                return;
            }
            if (!java.util.Arrays.equals(input.shape(), gradient.shape())) {
                throw new IllegalStateException("bug: gradient of shape " + Shape.str(gradient.shape())
                        + " for a tensor of shape " + Shape.str(input.shape()));
            }
            Tensor existing = pending.get(input);
            if (existing == null) {
                Tensor g = gradient.isContiguous() && !owned.containsKey(gradient.storage)
                        ? gradient
                        : gradient.copyNoGrad();
                pending.put(input, g);
                owned.put(g.storage, Boolean.TRUE);
            } else {
                Tensor g = gradient.isContiguous() ? gradient : gradient.contiguousNoGrad();
                existing.backend().axpy(existing.numel(), 1f, g.buffer(), g.offset(), existing.buffer(), existing.offset());
            }
        }

        Tensor take(Tensor tensor) {
            Tensor gradient = pending.remove(tensor);
            if (gradient != null) {
                owned.remove(gradient.storage);
            }
            return gradient;
        }
    }

    /** Runs the backward pass from {@code root} with the seed gradient {@code seed}. */
    static void backward(Tensor root, Tensor seed) {
        List<Tensor> order = topologicalOrder(root);
        Gradients gradients = new Gradients();
        gradients.pending.put(root, seed);
        boolean previous = DISABLED.get();
        DISABLED.set(Boolean.TRUE);
        try {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor tensor = order.get(i);
                Tensor gradient = gradients.take(tensor);
                if (gradient == null) {
                    continue;
                }
                if (tensor.gradFn == null) {
                    accumulateLeaf(tensor, gradient);
                } else {
                    tensor.gradFn.backward(gradient, gradients);
                }
            }
        } finally {
            DISABLED.set(previous);
        }
    }

    /** Depth-first, iteratively (graphs can be deep), inputs before the tensors made from them. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor tensor = (Tensor) frame[0];
            int next = (int) frame[1];
            Tensor[] inputs = tensor.gradFn == null ? new Tensor[0] : tensor.gradFn.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor input = inputs[next];
                if (input.requiresGrad() && visited.put(input, Boolean.TRUE) == null) {
                    stack.push(new Object[] {input, 0});
                }
            } else {
                stack.pop();
                order.add(tensor);
            }
        }
        return order;
    }

    private static void accumulateLeaf(Tensor leaf, Tensor gradient) {
        Backend backend = leaf.backend();
        if (leaf.grad == null) {
            leaf.grad = Tensor.zerosIn(leaf.storage.scope, leaf.shape());
        }
        backend.axpy(leaf.numel(), 1f, gradient.buffer(), gradient.offset(), leaf.grad.buffer(), leaf.grad.offset());
    }
}
