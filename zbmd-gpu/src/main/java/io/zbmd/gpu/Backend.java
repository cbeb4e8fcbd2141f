package io.zbmd.gpu;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import io.zbmd.gpu.opencl.OpenClBackend;
import io.zbmd.gpu.vulkan.VulkanBackend;

/**
 * A compute backend: device memory, copies between host and device, and the kernels the ML
 * layer is built from. The set is closed, so that code can switch over it, and each backend
 * lives in a package of its own ({@code io.zbmd.gpu.cpu}, always present; the device backends
 * beside it), which the module descriptor allows. Every backend implements every operation,
 * so that a model runs wholly on its device.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Values are float32, row-major. Offsets, counts and strides are in elements, not
 *       bytes. Index buffers (labels, argmax) hold int32 in a {@link DeviceBuffer}.
 *   <li>Strided arguments describe an N-dimensional view: a shape shared by all operands,
 *       and per operand an offset and one stride per dimension; a stride of 0 broadcasts.
 *   <li>Backward kernels <em>accumulate</em> into their gradient outputs ({@code +=}), as
 *       autograd sums the gradients of every use of a tensor.
 *   <li>Results are bit-identical from run to run for a given backend and thread count.
 * </ul>
 *
 * <p>A device error surfaces as an exception like any failure, so that a supervised kernel
 * actor can retry, migrate or escalate. Kernels on buffers that overlap in ways other than
 * documented (in-place where allowed) are undefined. Not thread-safe per buffer: callers
 * own their tensors; the backend itself may be shared.
 */
public sealed interface Backend extends AutoCloseable permits CpuBackend, OpenClBackend, VulkanBackend {

    /** @return what this backend runs on */
    Device device();

    /** @return the faults this backend injects before each operation ({@link DeviceFaults#NONE} unless asked) */
    DeviceFaults faults();

    /**
     * @param faults faults to inject before every allocation, copy and kernel
     * @return a view of this backend (the same memory, threads and device; closing either
     *     closes both) that injects them
     */
    Backend withFaults(DeviceFaults faults);

    /** @return its memory pool (budget, usage, leak report) */
    MemoryPool memory();

    /**
     * @param floats elements
     * @return uninitialised memory for that many float32 (or int32) values
     * @throws io.zbmd.gpu.memory.DeviceOutOfMemoryException past the budget
     */
    DeviceBuffer allocate(long floats);

    // ------------------------------------------------------------------ transfers

    /** Copies host floats into device memory. */
    void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

    /** Copies host ints into device memory (labels, indices). */
    void uploadInts(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

    /** Copies device floats to the host. */
    void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count);

    /** Copies device ints to the host. */
    void downloadInts(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count);

    /** Copies a strided view into another (a contiguous copy of a transpose, a slice, a broadcast). */
    void copy(int[] shape, DeviceBuffer src, long srcOffset, long[] srcStrides,
            DeviceBuffer dst, long dstOffset, long[] dstStrides);

    /** Sets {@code count} elements to {@code value}. */
    void fill(DeviceBuffer x, long offset, long count, float value);

    /**
     * Converts between storage types: float32 to or from bfloat16 / float16 (16-bit values,
     * two per float slot, packed from the start of the buffer).
     */
    void convert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst, long dstOffset, long count);

    // ------------------------------------------------------------------ linear algebra

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C}, row-major; see
     * {@link io.zbmd.gpu.cpu.GemmKernel} for the argument conventions.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb,
            float beta, DeviceBuffer c, long cOffset, int ldc);

    /** {@code y += alpha · x} over {@code count} contiguous elements. */
    void axpy(long count, float alpha, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset);

    /** {@code x *= alpha} over {@code count} contiguous elements. */
    void scale(long count, float alpha, DeviceBuffer x, long xOffset);

    /** @return Σ x², in double precision (for gradient-norm clipping) */
    double sumOfSquares(long count, DeviceBuffer x, long xOffset);

    // ------------------------------------------------------------------ element-wise

    /** {@code y = op(x)} over {@code count} contiguous elements; may be in place. */
    void unary(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset);

    /**
     * {@code dx += dy · op'(x)} over {@code count} contiguous elements. {@code y} is the
     * forward output (EXP, TANH, SIGMOID, SQRT use it), may be null for the others.
     */
    void unaryBackward(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset);

    /** {@code out = a op b} over a shared shape, each operand strided (0 to broadcast). */
    void binary(BinaryOp op, int[] shape, DeviceBuffer a, long aOffset, long[] aStrides,
            DeviceBuffer b, long bOffset, long[] bStrides, DeviceBuffer out, long outOffset, long[] outStrides);

    /**
     * Reduces a strided view over the dimensions where {@code outStrides} is 0 (the output
     * view broadcasts over them): {@code out = SUM or MAX of x}, or {@code out += SUM} when
     * {@code accumulate}. For MAX, {@code argmax} (nullable) receives, per output element,
     * the flat index into the input view of the first maximum.
     */
    void reduce(ReduceOp op, int[] shape, DeviceBuffer x, long xOffset, long[] xStrides,
            DeviceBuffer out, long outOffset, long[] outStrides, boolean accumulate, DeviceBuffer argmax);

    /** For each row of {@code rows × cols}: the column of the first maximum (int32 output). */
    void argmaxRows(int rows, int cols, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset);

    // ------------------------------------------------------------------ neural-network kernels

    /** Row-wise softmax (or log-softmax) of a contiguous {@code rows × cols} matrix. */
    void softmax(int rows, int cols, boolean log, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset);

    /**
     * Softmax backward, accumulating: {@code dx += y ⊙ (dy - Σ dy ⊙ y)}, or for log-softmax
     * {@code dx += dy - e^y · Σ dy}.
     */
    void softmaxBackward(int rows, int cols, boolean log, DeviceBuffer y, long yOffset, DeviceBuffer dy,
            long dyOffset, DeviceBuffer dx, long dxOffset);

    /**
     * Cross-entropy from logits with label smoothing ε: per row, the loss
     * {@code -Σ_c t_c · log softmax(x)_c} with {@code t = (1-ε)·onehot(label) + ε/cols}; and,
     * if {@code grad} is not null, {@code grad = scale · (softmax(x) - t)}.
     */
    void crossEntropy(int rows, int cols, float smoothing, DeviceBuffer logits, long logitsOffset,
            DeviceBuffer labels, long labelsOffset, DeviceBuffer lossPerRow, long lossOffset,
            DeviceBuffer grad, long gradOffset, float scale);

    /**
     * Unfolds one image {@code C × H × W} into columns {@code (C·kh·kw) × (outH·outW)} for a
     * convolution as a matrix product (im2col). Row {@code r} of the columns starts at
     * {@code columnsOffset + r · columnsRowStride}, so that the images of a batch can sit side
     * by side in one matrix ({@code columnsRowStride = n · outH · outW}) for a single GEMM.
     */
    void im2col(ConvGeometry g, DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride);

    /**
     * Folds columns back into an image, im2col's adjoint: each image element is written with
     * the sum of the column entries it was unfolded into (zero where there are none), so the
     * image need not be cleared first.
     */
    void col2im(ConvGeometry g, DeviceBuffer columns, long columnsOffset, long columnsRowStride, DeviceBuffer image,
            long imageOffset);

    /**
     * {@link #im2col} of a batch: image {@code i} starts at {@code imageOffset + i · c·h·w}
     * and its columns at {@code columnsOffset + i · outH·outW}, in rows
     * {@code columnsRowStride} apart (at least {@code images · outH·outW}). The default calls
     * {@link #im2col} once per image; a backend may spread the images over its threads.
     */
    default void im2colImages(ConvGeometry g, int images, DeviceBuffer image, long imageOffset, DeviceBuffer columns,
            long columnsOffset, long columnsRowStride) {
        long imageSize = (long) g.channels() * g.height() * g.width();
        long spatial = (long) g.outHeight() * g.outWidth();
        for (int i = 0; i < images; i++) {
            im2col(g, image, imageOffset + i * imageSize, columns, columnsOffset + i * spatial, columnsRowStride);
        }
    }

    /** {@link #col2im} of a batch, laid out as in {@link #im2colImages}. */
    default void col2imImages(ConvGeometry g, int images, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride, DeviceBuffer image, long imageOffset) {
        long imageSize = (long) g.channels() * g.height() * g.width();
        long spatial = (long) g.outHeight() * g.outWidth();
        for (int i = 0; i < images; i++) {
            col2im(g, columns, columnsOffset + i * spatial, columnsRowStride, image, imageOffset + i * imageSize);
        }
    }

    /** 2-D pooling over {@code planes} planes of {@code H × W}; max pooling records argmax (int32). */
    void pool2d(PoolGeometry g, boolean max, int planes, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer argmax);

    /**
     * Pooling backward: writes {@code dx}, each input element the sum of the output gradients
     * it contributed to (zero where it contributed to none), so {@code dx} need not be cleared
     * first.
     */
    void pool2dBackward(PoolGeometry g, boolean max, int planes, DeviceBuffer dy, long dyOffset, DeviceBuffer argmax,
            DeviceBuffer dx, long dxOffset);

    /**
     * Layer normalisation of each row of {@code rows × cols}: {@code y = (x - μ) / √(σ² + eps)
     * · gamma + beta}, saving μ and 1/√(σ² + eps) per row for the backward pass.
     */
    void layerNorm(int rows, int cols, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma,
            DeviceBuffer beta, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd);

    /** Layer-norm backward, accumulating into {@code dx}, {@code dgamma}, {@code dbeta}. */
    void layerNormBackward(int rows, int cols, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset,
            DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta);

    /**
     * Batch normalisation of {@code n × channels × spatial} per channel. In training, uses
     * the batch statistics, saves μ and 1/√(σ² + eps) per channel, and updates the running
     * mean and (unbiased) variance with {@code momentum}; in evaluation, uses the running
     * statistics.
     */
    void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps,
            DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer runningMean,
            DeviceBuffer runningVar, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd);

    /** Batch-norm backward (training statistics), accumulating into {@code dx}, {@code dgamma}, {@code dbeta}. */
    void batchNormBackward(int n, int channels, int spatial, DeviceBuffer dy, long dyOffset, DeviceBuffer x,
            long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta);

    /** Embedding lookup: {@code out[i] = table[indices[i]]} for rows of {@code dim} floats. */
    void gather(int count, int dim, DeviceBuffer table, DeviceBuffer indices, long indicesOffset, DeviceBuffer out,
            long outOffset);

    /** Embedding backward: {@code dtable[indices[i]] += dout[i]}. */
    void scatterAdd(int count, int dim, DeviceBuffer dout, long doutOffset, DeviceBuffer indices, long indicesOffset,
            DeviceBuffer dtable);

    /**
     * Dropout with probability {@code p}: {@code y = x · mask / (1 - p)}, the mask drawn from
     * a counter-based generator seeded with {@code seed} (so that it replays), and stored
     * (1 or 0) in {@code mask} for the backward pass.
     */
    void dropout(long count, float p, long seed, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer mask);

    /**
     * A causal attention mask: in each of {@code batch} contiguous {@code rows × cols}
     * matrices (queries × keys), sets to −∞ the entries {@code (i, j)} with
     * {@code j > i + cols - rows} (a query sees the keys up to its own position).
     */
    void causalMask(int batch, int rows, int cols, DeviceBuffer x, long xOffset);

    // ------------------------------------------------------------------ optimizers

    /**
     * One SGD step: with weight decay λ, momentum μ and dampening 0 as PyTorch:
     * {@code g = grad + λ·p; v = μ·v + g; p -= lr · (nesterov ? g + μ·v : v)} (without
     * momentum, {@code p -= lr·g}; {@code velocity} may then be null). Each state is read
     * and written as its {@link InOut} says: in place, or into a second buffer.
     */
    void sgdStep(long count, float lr, float momentum, float weightDecay, boolean nesterov, InOut param,
            DeviceBuffer grad, long gradOffset, InOut velocity);

    /**
     * One Adam step (step {@code t} from 1), as PyTorch: moments {@code m, v} updated with
     * {@code beta1, beta2}, bias-corrected; weight decay added to the gradient (Adam) or
     * applied to the parameter directly (AdamW, {@code decoupled}). Each state is read and
     * written as its {@link InOut} says: in place, or into a second buffer.
     */
    void adamStep(long count, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
            long t, InOut param, DeviceBuffer grad, long gradOffset, InOut m, InOut v);

    /** Releases the backend's threads and memory. */
    @Override
    void close();
}
