package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.gpu.memory.DeviceBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * An N-dimensional array of numbers on a {@link Backend}, with the graph that made it for
 * automatic differentiation, in the manner of PyTorch: float32 compute, views that share
 * memory (reshape of a contiguous tensor, transpose, permute, slice, unsqueeze), NumPy
 * broadcasting, and {@link #backward()}.
 *
 * <p>A tensor's memory belongs to the {@link TensorScope} that was current when it was made
 * (see there). Operations allocate their results in the current scope. Not thread-safe: a
 * tensor belongs to the code (the actor) that made it.
 *
 * <p>Bad shapes fail with an {@link IllegalArgumentException} that shows both shapes.
 */
public final class Tensor {
    final Storage storage;
    private final int[] shape;
    private final long[] strides;
    private final long offset;
    private boolean requiresGrad;
    /** The accumulated gradient of a leaf; null until the first backward pass reaches it. */
    Tensor grad;
    /** How this tensor was made (null for a leaf). */
    Autograd.Node gradFn;

    Tensor(Storage storage, int[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ------------------------------------------------------------------ making tensors

    static Tensor empty(int[] shape, DType dtype) {
        int[] checked = Shape.checked(shape);
        Storage storage = TensorScope.current().allocate(Shape.numel(checked), dtype);
        return new Tensor(storage, checked, Shape.contiguousStrides(checked), 0);
    }

    static Tensor empty(int[] shape) {
        return empty(shape, DType.F32);
    }

    static Tensor zerosIn(TensorScope scope, int[] shape) {
        Storage storage = scope.allocate(Shape.numel(shape), DType.F32);
        Tensor t = new Tensor(storage, shape.clone(), Shape.contiguousStrides(shape), 0);
        storage.backend.fill(storage.buffer, 0, t.numel(), 0f);
        return t;
    }

    /**
     * Frees an operation's temporary early (a step's peak memory is then lower); only for a
     * tensor that no other tensor, view or graph node refers to.
     */
    void release() {
        storage.scope.release(storage);
    }

    /** Wraps the result of an operation: records its graph node if any input requires a gradient. */
    static Tensor result(Tensor out, Autograd.Node node) {
        if (Autograd.enabled()) {
            for (Tensor input : node.inputs) {
                if (input.requiresGrad) {
                    out.requiresGrad = true;
                    out.gradFn = node;
                    break;
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ properties

    /** @return the sizes, a copy */
    public int[] shape() {
        return shape.clone();
    }

    int[] shapeRef() {
        return shape;
    }

    /** @return the number of dimensions */
    public int dim() {
        return shape.length;
    }

    /**
     * @param d a dimension, negative from the end
     * @return its size
     */
    public int size(int d) {
        return shape[Shape.normalize(d, shape.length)];
    }

    /** @return the number of elements */
    public long numel() {
        return Shape.numel(shape);
    }

    /** @return the storage type */
    public DType dtype() {
        return storage.dtype;
    }

    /** @return the backend its memory is on */
    public Backend backend() {
        return storage.backend;
    }

    /** @return the strides, in elements, a copy */
    public long[] strides() {
        return strides.clone();
    }

    long[] stridesRef() {
        return strides;
    }

    /** @return the offset of the first element in the storage, in elements */
    public long offset() {
        return offset;
    }

    /**
     * Expert access, for optimizers, checkpoints and kernels: the memory behind this tensor,
     * shared with its views; {@link #offset()} and {@link #strides()} say where its
     * elements are.
     *
     * @return the buffer
     */
    public DeviceBuffer buffer() {
        return storage.buffer;
    }

    /** @return whether the elements are laid out row-major without gaps */
    public boolean isContiguous() {
        return Arrays.equals(strides, Shape.contiguousStrides(shape)) || numel() <= 1;
    }

    /** @return whether gradients flow to (or through) this tensor */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks a leaf tensor (a parameter) as needing its gradient.
     *
     * @param value true to accumulate a gradient in {@link #grad()}
     * @return this
     * @throws IllegalStateException for a tensor made by an operation
     */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null) {
            throw new IllegalStateException("only leaf tensors can be marked; this one was made by " + gradFn.name()
                    + " (use detach() to make a leaf)");
        }
        if (value && storage.dtype != DType.F32) {
            throw new IllegalStateException("only float32 tensors can require gradients, this one is " + storage.dtype);
        }
        requiresGrad = value;
        return this;
    }

    /** @return the gradient accumulated by backward passes, or null if none yet */
    public Tensor grad() {
        return grad;
    }

    /** @return whether this tensor was made by an operation that gradients flow through */
    public boolean hasGradFn() {
        return gradFn != null;
    }

    /** Sets the accumulated gradient to zero (keeps its memory). */
    public void zeroGrad() {
        if (grad != null) {
            backend().fill(grad.buffer(), grad.offset, grad.numel(), 0f);
        }
    }

    // ------------------------------------------------------------------ data

    /** @return the values, row-major, copied to the host */
    public float[] toFloatArray() {
        if (storage.dtype != DType.F32) {
            return to(DType.F32).toFloatArray();
        }
        Tensor c = contiguousNoGrad();
        float[] values = new float[Math.toIntExact(numel())];
        backend().download(c.buffer(), c.offset, values, 0, values.length);
        return values;
    }

    /**
     * Overwrites this tensor's values in place, e.g. a parameter or an optimizer moment from a
     * checkpoint. Not recorded by autograd: use it between steps, not inside a graph.
     *
     * @param values row-major, exactly {@link #numel()} of them
     * @return this tensor
     * @throws IllegalArgumentException if the count differs
     * @throws IllegalStateException if this is not a contiguous float32 tensor
     */
    public Tensor copyFrom(float[] values) {
        Objects.requireNonNull(values, "values must not be null");
        if (storage.dtype != DType.F32 || !isContiguous()) {
            throw new IllegalStateException("copyFrom needs a contiguous F32 tensor, this one is " + storage.dtype
                    + (isContiguous() ? "" : ", not contiguous"));
        }
        if (values.length != numel()) {
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape "
                    + Shape.str(shape) + " (" + numel() + " elements)");
        }
        backend().upload(values, 0, buffer(), offset, values.length);
        return this;
    }

    /**
     * Copies {@code source}'s values into this tensor in place, as PyTorch's {@code copy_}: this
     * may be a view (a slice of a key/value cache, for one). Not recorded by autograd, so only
     * for a tensor that does not require a gradient.
     *
     * @param source a tensor of the same shape and dtype on the same backend
     * @return this tensor
     * @throws IllegalArgumentException if the shapes, dtypes or backends differ
     * @throws IllegalStateException if this tensor requires a gradient
     */
    public Tensor assign(Tensor source) {
        Objects.requireNonNull(source, "source must not be null");
        if (!Arrays.equals(shape, source.shape) || storage.dtype != source.storage.dtype
                || storage.backend != source.storage.backend) {
            throw new IllegalArgumentException("assign needs a source of this tensor's shape, dtype and backend; got "
                    + source + " for " + this);
        }
        if (requiresGrad) {
            throw new IllegalStateException("assign would write a tensor that requires a gradient: " + this);
        }
        backend().copy(shape, source.buffer(), source.offset, source.strides, buffer(), offset, strides);
        return this;
    }

    /**
     * Exchanges the memory of two tensors of the same size: afterwards each holds the values
     * the other held, without a copy. Optimizers use it to double-buffer an update (compute
     * the new state into a second tensor, then exchange), so that an update that fails
     * halfway leaves the old state whole. Both tensors must own all of their memory
     * (contiguous, offset 0, not views of a larger tensor); views of either see the exchange.
     * A scope releases the memory its tensors hold when it closes, whichever that is by then,
     * so each memory is still released once.
     *
     * @param other a tensor of the same dtype and element count
     * @throws IllegalArgumentException if either tensor does not own exactly its elements or
     *     the two differ in dtype or size
     */
    public void exchangeMemory(Tensor other) {
        Objects.requireNonNull(other, "other must not be null");
        if (!isWhole() || !other.isWhole() || storage.dtype != other.storage.dtype || numel() != other.numel()) {
            throw new IllegalArgumentException("exchangeMemory needs two whole contiguous tensors of one dtype and"
                    + " size; got " + this + " and " + other);
        }
        if (storage.backend != other.storage.backend) {
            throw new IllegalArgumentException("exchangeMemory needs two tensors on one backend; got "
                    + storage.backend.device().name() + " and " + other.storage.backend.device().name());
        }
        DeviceBuffer mine = storage.buffer;
        storage.buffer = other.storage.buffer;
        other.storage.buffer = mine;
    }

    /**
     * A tensor over the memory this one has now, which keeps that memory when this one's is
     * exchanged ({@link #exchangeMemory}): for reading a state later while training goes on.
     * It owns nothing (its memory is released with this tensor's scope) and records no graph.
     *
     * @return the alias
     * @throws IllegalArgumentException if this tensor is not {@link #isWhole() whole}
     */
    public Tensor aliasOfMemory() {
        if (!isWhole()) {
            throw new IllegalArgumentException("aliasOfMemory needs a whole contiguous tensor; got " + this);
        }
        Storage alias = new Storage(storage.buffer, storage.dtype, storage.backend, null);
        return new Tensor(alias, shape, strides, 0);
    }

    /**
     * @return whether this tensor is all of its memory: contiguous from offset 0, and not a
     *     view into a larger tensor (what {@link #exchangeMemory} needs)
     */
    public boolean isWhole() {
        long elements = Math.max(1, numel());
        long floats = storage.dtype.bytes() == Float.BYTES ? elements : (elements + 1) / 2;
        return offset == 0 && isContiguous() && storage.buffer.floats() == floats;
    }

    /** @return the values of an int32 tensor, row-major */
    public int[] toIntArray() {
        if (storage.dtype != DType.I32) {
            throw new IllegalStateException("toIntArray needs an I32 tensor, this one is " + storage.dtype);
        }
        Tensor c = contiguousNoGrad();
        int[] values = new int[Math.toIntExact(numel())];
        backend().downloadInts(c.buffer(), c.offset, values, 0, values.length);
        return values;
    }

    /** @return the only value of a one-element tensor */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item() needs a tensor of one element, this one has shape " + Shape.str(shape));
        }
        float[] one = new float[1];
        backend().download(buffer(), offset, one, 0, 1);
        return one[0];
    }

    // ------------------------------------------------------------------ views

    /**
     * The same elements in another shape (one size may be -1, inferred). A view when this
     * tensor is contiguous, else a copy.
     */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape);
        Tensor source = isContiguous() ? this : contiguous();
        Tensor view = new Tensor(source.storage, target, Shape.contiguousStrides(target), source.offset);
        return result(view, new Views.Reshape(source));
    }

    private int[] inferShape(int[] newShape) {
        int[] target = newShape.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("only one size may be -1 in " + Shape.str(newShape));
                }
                inferred = i;
            } else {
                known *= target[i];
            }
        }
        if (inferred >= 0 && known > 0 && numel() % known == 0) {
            target[inferred] = (int) (numel() / known);
        }
        if (Shape.numel(target) != numel() || Arrays.stream(target).anyMatch(d -> d <= 0)) {
            throw new IllegalArgumentException("cannot reshape a tensor of shape " + Shape.str(shape) + " ("
                    + numel() + " elements) to " + Shape.str(newShape));
        }
        return target;
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int d0, int d1) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = Shape.normalize(d0, shape.length);
        int b = Shape.normalize(d1, shape.length);
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Reorders the dimensions (a view): dimension i of the result is dimension order[i] of this. */
    public Tensor permute(int... order) {
        if (order.length != shape.length) {
            throw new IllegalArgumentException("permute needs " + shape.length + " dimensions for a tensor of shape "
                    + Shape.str(shape) + ", got " + Arrays.toString(order));
        }
        int[] newShape = new int[order.length];
        long[] newStrides = new long[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int d = Shape.normalize(order[i], shape.length);
            if (seen[d]) {
                throw new IllegalArgumentException("permute order " + Arrays.toString(order) + " repeats dimension " + d);
            }
            seen[d] = true;
            newShape[i] = shape[d];
            newStrides[i] = strides[d];
        }
        return result(new Tensor(storage, newShape, newStrides, offset), new Views.Permute(this, order));
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along a dimension (a view). */
    public Tensor slice(int dim, int start, int end) {
        int d = Shape.normalize(dim, shape.length);
        if (start < 0 || end > shape[d] || start >= end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") is out of range for dimension " + d
                    + " of a tensor of shape " + Shape.str(shape));
        }
        int[] newShape = shape.clone();
        newShape[d] = end - start;
        return result(new Tensor(storage, newShape, strides.clone(), offset + start * strides[d]),
                new Views.Slice(this, d, start));
    }

    /** Inserts a dimension of size 1 (a view). */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        if (d < 0 || d > shape.length) {
            throw new IllegalArgumentException("cannot unsqueeze dimension " + dim + " of a tensor of shape "
                    + Shape.str(shape));
        }
        int[] newShape = new int[shape.length + 1];
        long[] newStrides = new long[shape.length + 1];
        for (int i = 0, j = 0; i < newShape.length; i++) {
            if (i == d) {
                newShape[i] = 1;
                newStrides[i] = j < shape.length ? strides[j] * shape[j] : 1;
            } else {
                newShape[i] = shape[j];
                newStrides[i] = strides[j++];
            }
        }
        return result(new Tensor(storage, newShape, newStrides, offset), new Views.Reshape(this));
    }

    /** Flattens dimensions from {@code startDim} on into one. */
    public Tensor flatten(int startDim) {
        int s = Shape.normalize(startDim, shape.length);
        int[] newShape = new int[s + 1];
        System.arraycopy(shape, 0, newShape, 0, s);
        newShape[s] = -1;
        return reshape(newShape);
    }

    /** @return a contiguous tensor with the same values: this one if it already is */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        return result(contiguousNoGrad(), new Views.Reshape(this));
    }

    Tensor contiguousNoGrad() {
        if (isContiguous()) {
            return this;
        }
        Tensor out = empty(shape, storage.dtype);
        backend().copy(shape, buffer(), offset, strides, out.buffer(), 0, out.strides);
        return out;
    }

    Tensor copyNoGrad() {
        Tensor out = empty(shape, storage.dtype);
        backend().copy(shape, buffer(), offset, strides, out.buffer(), 0, out.strides);
        return out;
    }

    /** @return a contiguous copy (gradients flow through it) */
    public Tensor copy() {
        Tensor out = empty(shape, storage.dtype);
        backend().copy(shape, buffer(), offset, strides, out.buffer(), 0, out.strides);
        return result(out, new Views.Reshape(this));
    }

    /** @return a leaf view of the same memory that gradients do not flow through */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    /**
     * Converts the storage type between float32 and another type (bfloat16 and float16 round
     * to nearest even, int32 truncates toward zero); gradients do not flow through a conversion.
     */
    public Tensor to(DType target) {
        if (target == storage.dtype) {
            return this;
        }
        if (target != DType.F32 && storage.dtype != DType.F32) {
            throw new IllegalArgumentException(
                    "cannot convert " + storage.dtype + " to " + target + " directly; go through to(DType.F32)");
        }
        Tensor source = contiguousNoGrad();
        Tensor out = empty(shape, target);
        backend().convert(source.storage.dtype, source.buffer(), source.offset, target, out.buffer(), 0, numel());
        return out;
    }

    // ------------------------------------------------------------------ arithmetic

    /** @return this + other, broadcasting */
    public Tensor add(Tensor other) {
        return Ops.binary(BinaryOp.ADD, this, other);
    }

    /** @return this - other, broadcasting */
    public Tensor sub(Tensor other) {
        return Ops.binary(BinaryOp.SUB, this, other);
    }

    /** @return this · other element-wise, broadcasting */
    public Tensor mul(Tensor other) {
        return Ops.binary(BinaryOp.MUL, this, other);
    }

    /** @return this / other element-wise, broadcasting */
    public Tensor div(Tensor other) {
        return Ops.binary(BinaryOp.DIV, this, other);
    }

    /** @return this + s */
    public Tensor add(float s) {
        return Ops.affine(this, 1f, s);
    }

    /** @return this - s */
    public Tensor sub(float s) {
        return Ops.affine(this, 1f, -s);
    }

    /** @return this · s */
    public Tensor mul(float s) {
        return Ops.affine(this, s, 0f);
    }

    /** @return this / s */
    public Tensor div(float s) {
        return Ops.affine(this, 1f / s, 0f);
    }

    /** @return -this */
    public Tensor neg() {
        return Ops.unary(UnaryOp.NEG, this);
    }

    /** @return e^this */
    public Tensor exp() {
        return Ops.unary(UnaryOp.EXP, this);
    }

    /** @return ln this */
    public Tensor log() {
        return Ops.unary(UnaryOp.LOG, this);
    }

    /** @return max(this, 0) */
    public Tensor relu() {
        return Ops.unary(UnaryOp.RELU, this);
    }

    /** @return GELU (exact, erf-based) */
    public Tensor gelu() {
        return Ops.unary(UnaryOp.GELU, this);
    }

    /** @return tanh */
    public Tensor tanh() {
        return Ops.unary(UnaryOp.TANH, this);
    }

    /** @return the logistic sigmoid */
    public Tensor sigmoid() {
        return Ops.unary(UnaryOp.SIGMOID, this);
    }

    /** @return √this */
    public Tensor sqrt() {
        return Ops.unary(UnaryOp.SQRT, this);
    }

    /** @return this² */
    public Tensor square() {
        return Ops.unary(UnaryOp.SQUARE, this);
    }

    /** @return |this| */
    public Tensor abs() {
        return Ops.unary(UnaryOp.ABS, this);
    }

    /**
     * Matrix product over the last two dimensions, batched over the others (which
     * broadcast): {@code [..., m, k] @ [..., k, n] -> [..., m, n]}.
     */
    public Tensor matmul(Tensor other) {
        return Ops.matmul(this, other);
    }

    // ------------------------------------------------------------------ reductions

    /** @return the sum of all elements, a one-element tensor of shape [] */
    public Tensor sum() {
        int[] all = new int[shape.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return Ops.sum(this, all, false);
    }

    /** @return sums over the given dimensions */
    public Tensor sum(boolean keepDim, int... dims) {
        return Ops.sum(this, dims, keepDim);
    }

    /** @return the mean of all elements */
    public Tensor mean() {
        return sum().mul(1f / numel());
    }

    /** @return means over the given dimensions */
    public Tensor mean(boolean keepDim, int... dims) {
        long count = 1;
        for (int d : dims) {
            count *= shape[Shape.normalize(d, shape.length)];
        }
        return sum(keepDim, dims).mul(1f / count);
    }

    /** @return the maximum over one dimension (gradients go to the first maximum) */
    public Tensor max(int dim, boolean keepDim) {
        return Ops.max(this, Shape.normalize(dim, shape.length), keepDim);
    }

    /** @return the index of the maximum along the last dimension, an int32 tensor */
    public Tensor argmax() {
        Tensor source = contiguousNoGrad();
        int cols = shape[shape.length - 1];
        int rows = (int) (numel() / cols);
        int[] outShape = Arrays.copyOf(shape, Math.max(1, shape.length - 1));
        if (shape.length == 1) {
            outShape = new int[] {1};
        }
        Tensor out = empty(outShape, DType.I32);
        backend().argmaxRows(rows, cols, source.buffer(), source.offset, out.buffer(), 0);
        return out;
    }

    /** @return softmax along {@code dim} (the last dimension: use -1) */
    public Tensor softmax(int dim) {
        return Ops.softmax(this, dim, false);
    }

    /** @return log-softmax along {@code dim} (the last dimension: use -1) */
    public Tensor logSoftmax(int dim) {
        return Ops.softmax(this, dim, true);
    }

    // ------------------------------------------------------------------ autograd

    /** Backward pass from a one-element tensor (a loss). */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward() without a gradient needs a one-element tensor, this one has shape "
                    + Shape.str(shape) + "; pass the gradient with backward(gradient)");
        }
        Tensor seed = empty(shape);
        backend().fill(seed.buffer(), 0, 1, 1f);
        backward(seed);
    }

    /**
     * Backward pass with an explicit gradient of this tensor.
     *
     * @param gradient the same shape as this tensor
     */
    public void backward(Tensor gradient) {
        Objects.requireNonNull(gradient, "gradient must not be null");
        if (!requiresGrad) {
            throw new IllegalStateException("this tensor does not require a gradient: none of the tensors it was made"
                    + " from does (mark parameters with requiresGrad(true)), or it was made under Autograd.noGrad()");
        }
        if (!Arrays.equals(shape, gradient.shape)) {
            throw new IllegalArgumentException("gradient of shape " + Shape.str(gradient.shape)
                    + " for a tensor of shape " + Shape.str(shape));
        }
        Autograd.backward(this, gradient.contiguousNoGrad());
    }

    @Override
    public String toString() {
        String values = numel() <= 8 && storage.dtype == DType.F32 && !storage.buffer.isClosed()
                ? " " + Arrays.toString(toFloatArray())
                : "";
        return "Tensor" + Shape.str(shape) + " " + storage.dtype + (requiresGrad ? " requiresGrad" : "") + values;
    }
}
