package io.zbmd.gpu.opencl;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.InOut;
import io.zbmd.gpu.KernelBuildException;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.gpu.internal.KernelArguments;
import io.zbmd.gpu.internal.KernelSources;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jocl.cl_mem;

/**
 * The OpenCL backend: every operation as an OpenCL C kernel ({@code kernels.cl}, built at run
 * time for the device and cached), on device memory from a budgeted pool. It runs wherever an
 * OpenCL driver is: a GPU's (NVIDIA, AMD ROCm, Intel), or PoCL on the CPU. The kernels mirror
 * the CPU backend's arithmetic operation for operation, and the conformance suite holds them
 * to it.
 *
 * <p>Kernels, fills and device-to-device copies are queued on one in-order queue and run while
 * the caller goes on; every copy to the host waits for what was queued before it. A device
 * error surfaces at the latest at the next such copy, which ends every stage (a loss, a
 * gradient norm, a prediction), so that a supervised actor retries the stage. Queuing instead
 * of waiting after each kernel took an MLP step on PoCL from 75.5 to 47.7 ms. Thread-safe (the
 * context serialises its queue); see {@link Backend} for the per-buffer contract. Needs JOCL on
 * the class path.
 */
public final class OpenClBackend implements Backend {
    private static final String SOURCE = KernelSources.read(OpenClBackend.class, "kernels.cl");

    private final OpenClContext context;
    private final MemoryPool memory;
    private final Device device;
    private final DeviceFaults faults;

    /**
     * Opens an OpenCL device.
     *
     * @param index the device's place in {@link OpenClDevices#list()}
     * @param memoryBudgetBytes the most device memory tensors may use
     * @return the backend
     * @throws DeviceException if there is no such device or it cannot be opened, or the
     *     kernels do not build on it ({@link KernelBuildException}, with the compiler's log)
     */
    public static OpenClBackend open(int index, long memoryBudgetBytes) {
        OpenClContext context = OpenClContext.open(index);
        try {
            context.kernel(SOURCE, "unary"); // builds the program now: a device that cannot fails here
            return new OpenClBackend(context, memoryBudgetBytes);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    private OpenClBackend(OpenClContext context, long memoryBudgetBytes) {
        this.context = context;
        OpenClDevices.Info info = context.info();
        this.memory = new MemoryPool("opencl:" + info.index(), memoryBudgetBytes, false, context.allocator());
        // The kernels and the device's math library decide the last bits: a run's identity names both.
        List<String> capabilities = new ArrayList<>(List.of("f32-compute", "bf16-storage", "f16-storage",
                info.gpu() ? "gpu" : "cpu-device", "gemm:OpenCL SGEMM, 16x16 tiles in local memory",
                "lanes:OpenCL on " + info.name() + " (" + info.platform() + ")"));
        this.device = new Device("opencl", info.toString(), memoryBudgetBytes, info.computeUnits(), capabilities);
        this.faults = DeviceFaults.NONE;
    }

    private OpenClBackend(OpenClBackend shared, DeviceFaults faults) {
        this.context = shared.context;
        this.memory = shared.memory;
        this.device = shared.device;
        this.faults = faults;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public DeviceFaults faults() {
        return faults;
    }

    @Override
    public OpenClBackend withFaults(DeviceFaults faults) {
        return new OpenClBackend(this, Objects.requireNonNull(faults, "faults must not be null"));
    }

    @Override
    public MemoryPool memory() {
        return memory;
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        faults.beforeOperation("allocate", this);
        return memory.allocateFloats(floats);
    }

    // ------------------------------------------------------------------ argument checks

    /** @return the buffer's memory object, once it is known to hold elements [offset, offset + count) */
    private cl_mem mem(DeviceBuffer buffer, String what, long offset, long count) {
        ownBlock(buffer, what).checkRange(what, offset, count);
        return ((OpenClContext.ClBlock) buffer.block()).mem();
    }

    /** @return the buffer's memory object, once the strided view is known to fit in it */
    private cl_mem view(DeviceBuffer buffer, String what, int[] shape, long offset, long[] strides) {
        ownBlock(buffer, what).checkView(what, shape, offset, strides);
        return ((OpenClContext.ClBlock) buffer.block()).mem();
    }

    private DeviceBuffer ownBlock(DeviceBuffer buffer, String what) {
        return KernelArguments.own(buffer, memory, device, what);
    }

    private void run(String kernel, long global, Object... args) {
        context.run(context.kernel(SOURCE, kernel), global, args);
    }

    /**
     * Runs a kernel with small constants (a view's shape and strides, a geometry) as its
     * argument at {@code at}, then releases them.
     */
    private void runWith(String kernel, long global, cl_mem constants, int at, Object... args) {
        try {
            Object[] all = new Object[args.length + 1];
            System.arraycopy(args, 0, all, 0, at);
            all[at] = constants;
            System.arraycopy(args, at, all, at + 1, args.length - at);
            run(kernel, global, all);
        } finally {
            context.release(constants);
        }
    }

    private int[] downloadInts(DeviceBuffer buffer, long offset, int count) {
        int[] values = new int[count];
        context.read(mem(buffer, "indices", offset, count), offset, values, 0, count);
        return values;
    }

    // ------------------------------------------------------------------ transfers

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("upload", this);
        context.write(src, srcOffset, mem(dst, "upload destination", dstOffset, count), dstOffset, count);
    }

    @Override
    public void uploadInts(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("uploadInts", this);
        context.write(src, srcOffset, mem(dst, "upload destination", dstOffset, count), dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        faults.beforeOperation("download", this);
        context.read(mem(src, "download source", srcOffset, count), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void downloadInts(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
        faults.beforeOperation("downloadInts", this);
        context.read(mem(src, "download source", srcOffset, count), srcOffset, dst, dstOffset, count);
    }

    @Override
    public void copy(int[] shape, DeviceBuffer src, long srcOffset, long[] srcStrides, DeviceBuffer dst,
            long dstOffset, long[] dstStrides) {
        faults.beforeOperation("copy", this);
        cl_mem from = view(src, "copy source", shape, srcOffset, srcStrides);
        cl_mem to = view(dst, "copy destination", shape, dstOffset, dstStrides);
        long count = KernelArguments.count(shape);
        if (count == 0) {
            return;
        }
        runWith("copy_strided", count, context.constants(KernelArguments.viewConstants(shape, srcStrides, dstStrides)), 1, count,
                from, srcOffset, to, dstOffset);
    }

    @Override
    public void fill(DeviceBuffer x, long offset, long count, float value) {
        faults.beforeOperation("fill", this);
        context.fill(mem(x, "fill", offset, count), offset, count, value);
    }

    @Override
    public void convert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst, long dstOffset,
            long count) {
        faults.beforeOperation("convert", this);
        cl_mem in = mem(src, "convert source", 0, 0);
        cl_mem out = mem(dst, "convert destination", 0, 0);
        KernelArguments.checkConvert(from, src, srcOffset, to, dst, dstOffset, count);
        if (from == to) {
            context.copyBytes(in, srcOffset * from.bytes(), out, dstOffset * to.bytes(), count * from.bytes());
            return;
        }
        String kernel = switch (from == DType.F32 ? to : from) {
            case BF16 -> from == DType.F32 ? "f32_to_bf16" : "bf16_to_f32";
            case F16 -> from == DType.F32 ? "f32_to_f16" : "f16_to_f32";
            case I32 -> from == DType.F32 ? "f32_to_i32" : "i32_to_f32";
            case F32 -> throw new AssertionError("same types are copied above");
        };
        run(kernel, count, count, in, srcOffset, out, dstOffset);
    }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, long aOffset,
            int lda, DeviceBuffer b, long bOffset, int ldb, float beta, DeviceBuffer c, long cOffset, int ldc) {
        faults.beforeOperation("sgemm", this);
        long[] extents = KernelArguments.sgemmExtents(transA, transB, m, n, k, lda, ldb, ldc);
        cl_mem am = mem(a, "sgemm A", aOffset, extents[0]);
        cl_mem bm = mem(b, "sgemm B", bOffset, extents[1]);
        cl_mem cm = mem(c, "sgemm C", cOffset, extents[2]);
        if (m == 0 || n == 0) {
            return;
        }
        long[] grid = {roundUp(n, SGEMM_TILE), roundUp(m, SGEMM_TILE)};
        context.run(context.kernel(SOURCE, "sgemm_tiled"), grid, new long[] {SGEMM_TILE, SGEMM_TILE},
                transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, am, aOffset, lda, bm, bOffset, ldb, beta, cm, cOffset,
                ldc);
    }

    /** The tiled SGEMM's work-group side, {@code TILE} in kernels.cl. */
    private static final int SGEMM_TILE = 16;

    private static long roundUp(int value, int multiple) {
        return (value + multiple - 1L) / multiple * multiple;
    }

    @Override
    public void axpy(long count, float alpha, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("axpy", this);
        run("axpy", count, count, alpha, mem(x, "axpy x", xOffset, count), xOffset, mem(y, "axpy y", yOffset, count),
                yOffset);
    }

    @Override
    public void scale(long count, float alpha, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("scale", this);
        run("scale", count, count, alpha, mem(x, "scale x", xOffset, count), xOffset);
    }

    @Override
    public double sumOfSquares(long count, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("sumOfSquares", this);
        cl_mem in = mem(x, "sumOfSquares x", xOffset, count);
        if (count == 0) {
            return 0;
        }
        long chunk = 1024;
        int parts = (int) ((count + chunk - 1) / chunk);
        cl_mem partial = context.scratch(parts);
        try {
            run("sum_of_squares", parts, count, chunk, in, xOffset, partial);
            float[] sums = new float[parts];
            context.read(partial, 0, sums, 0, parts);
            double total = 0;
            for (float sum : sums) {
                total += sum;
            }
            return total;
        } finally {
            context.release(partial);
        }
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public void unary(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("unary", this);
        run("unary", count, op.ordinal(), count, mem(x, "unary x", xOffset, count), xOffset,
                mem(y, "unary y", yOffset, count), yOffset);
    }

    @Override
    public void unaryBackward(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("unaryBackward", this);
        boolean needsY = op == UnaryOp.EXP || op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.SQRT;
        if (needsY) {
            Objects.requireNonNull(y, () -> op + "'s gradient needs the forward output y");
        }
        run("unary_backward", count, op.ordinal(), count, mem(x, "unaryBackward x", xOffset, count), xOffset,
                y == null ? null : mem(y, "unaryBackward y", yOffset, count), yOffset,
                mem(dy, "unaryBackward dy", dyOffset, count), dyOffset, mem(dx, "unaryBackward dx", dxOffset, count),
                dxOffset);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, DeviceBuffer a, long aOffset, long[] aStrides, DeviceBuffer b,
            long bOffset, long[] bStrides, DeviceBuffer out, long outOffset, long[] outStrides) {
        faults.beforeOperation("binary", this);
        cl_mem am = view(a, "binary a", shape, aOffset, aStrides);
        cl_mem bm = view(b, "binary b", shape, bOffset, bStrides);
        cl_mem om = view(out, "binary out", shape, outOffset, outStrides);
        long count = KernelArguments.count(shape);
        if (count == 0) {
            return;
        }
        long[] view = KernelArguments.viewConstants(shape, aStrides, bStrides, outStrides);
        runWith("binary_strided", count, context.constants(view), 2, op.ordinal(), count, am, aOffset, bm, bOffset, om,
                outOffset);
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, DeviceBuffer x, long xOffset, long[] xStrides, DeviceBuffer out,
            long outOffset, long[] outStrides, boolean accumulate, DeviceBuffer argmax) {
        faults.beforeOperation("reduce", this);
        cl_mem xm = view(x, "reduce x", shape, xOffset, xStrides);
        cl_mem om = view(out, "reduce out", shape, outOffset, outStrides);
        long[] dense = KernelArguments.keptStrides(shape, outStrides);
        long outCount = KernelArguments.keptCount(shape, outStrides);
        cl_mem best = argmax == null ? null : mem(argmax, "reduce argmax", 0, outCount);
        if (KernelArguments.count(shape) == 0) {
            return;
        }
        runWith("reduce", outCount, context.constants(KernelArguments.viewConstants(shape, xStrides, outStrides, dense)), 2,
                op == ReduceOp.SUM ? 0 : 1, outCount, xm, xOffset, om, outOffset, accumulate ? 1 : 0,
                op == ReduceOp.MAX ? best : null);
    }

    @Override
    public void argmaxRows(int rows, int cols, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset) {
        faults.beforeOperation("argmaxRows", this);
        run("argmax_rows", rows, rows, cols, mem(x, "argmax input", xOffset, (long) rows * cols), xOffset,
                mem(out, "argmax output", outOffset, rows), outOffset);
    }

    // ------------------------------------------------------------------ neural-network kernels

    @Override
    public void softmax(int rows, int cols, boolean log, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("softmax", this);
        long n = (long) rows * cols;
        run("softmax", rows, rows, cols, log ? 1 : 0, mem(x, "softmax x", xOffset, n), xOffset,
                mem(y, "softmax y", yOffset, n), yOffset);
    }

    @Override
    public void softmaxBackward(int rows, int cols, boolean log, DeviceBuffer y, long yOffset, DeviceBuffer dy,
            long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("softmaxBackward", this);
        long n = (long) rows * cols;
        run("softmax_backward", rows, rows, cols, log ? 1 : 0, mem(y, "softmax y", yOffset, n), yOffset,
                mem(dy, "softmax dy", dyOffset, n), dyOffset, mem(dx, "softmax dx", dxOffset, n), dxOffset);
    }

    @Override
    public void crossEntropy(int rows, int cols, float smoothing, DeviceBuffer logits, long logitsOffset,
            DeviceBuffer labels, long labelsOffset, DeviceBuffer lossPerRow, long lossOffset, DeviceBuffer grad,
            long gradOffset, float scale) {
        faults.beforeOperation("crossEntropy", this);
        long n = (long) rows * cols;
        KernelArguments.checkLabels(downloadInts(labels, labelsOffset, rows), cols);
        run("cross_entropy", rows, rows, cols, smoothing, mem(logits, "cross-entropy logits", logitsOffset, n),
                logitsOffset, mem(labels, "cross-entropy labels", labelsOffset, rows), labelsOffset,
                mem(lossPerRow, "cross-entropy losses", lossOffset, rows), lossOffset,
                grad == null ? null : mem(grad, "cross-entropy gradient", gradOffset, n), gradOffset, scale);
    }

    @Override
    public void im2col(ConvGeometry g, DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride) {
        faults.beforeOperation("im2col", this);
        unfold(g, 1, image, imageOffset, columns, columnsOffset, columnsRowStride);
    }

    @Override
    public void im2colImages(ConvGeometry g, int images, DeviceBuffer image, long imageOffset, DeviceBuffer columns,
            long columnsOffset, long columnsRowStride) {
        faults.beforeOperation("im2col", this);
        unfold(g, images, image, imageOffset, columns, columnsOffset, columnsRowStride);
    }

    private void unfold(ConvGeometry g, int images, DeviceBuffer image, long imageOffset, DeviceBuffer columns,
            long columnsOffset, long columnsRowStride) {
        g.checkColumns(images, columnsRowStride);
        long imageSize = (long) g.channels() * g.height() * g.width();
        cl_mem in = mem(image, "im2col image", imageOffset, images * imageSize);
        cl_mem out = mem(columns, "im2col columns", columnsOffset, g.columnsExtent(images, columnsRowStride));
        long items = (long) g.columnRows() * images * g.columnCols();
        runWith("im2col", items, context.constants(KernelArguments.geometry(g)), 1, images, in, imageOffset, out, columnsOffset,
                columnsRowStride);
    }

    @Override
    public void col2im(ConvGeometry g, DeviceBuffer columns, long columnsOffset, long columnsRowStride,
            DeviceBuffer image, long imageOffset) {
        faults.beforeOperation("col2im", this);
        fold(g, 1, columns, columnsOffset, columnsRowStride, image, imageOffset);
    }

    @Override
    public void col2imImages(ConvGeometry g, int images, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride, DeviceBuffer image, long imageOffset) {
        faults.beforeOperation("col2im", this);
        fold(g, images, columns, columnsOffset, columnsRowStride, image, imageOffset);
    }

    private void fold(ConvGeometry g, int images, DeviceBuffer columns, long columnsOffset, long columnsRowStride,
            DeviceBuffer image, long imageOffset) {
        g.checkColumns(images, columnsRowStride);
        long imageSize = (long) g.channels() * g.height() * g.width();
        cl_mem in = mem(columns, "col2im columns", columnsOffset, g.columnsExtent(images, columnsRowStride));
        cl_mem out = mem(image, "col2im image", imageOffset, images * imageSize);
        runWith("col2im", images * imageSize, context.constants(KernelArguments.geometry(g)), 1, images, in, columnsOffset,
                columnsRowStride, out, imageOffset);
    }

    @Override
    public void pool2d(PoolGeometry g, boolean max, int planes, DeviceBuffer x, long xOffset, DeviceBuffer y,
            long yOffset, DeviceBuffer argmax) {
        faults.beforeOperation("pool2d", this);
        long outSize = (long) planes * g.outHeight() * g.outWidth();
        cl_mem in = mem(x, "pool input", xOffset, (long) planes * g.height() * g.width());
        cl_mem out = mem(y, "pool output", yOffset, outSize);
        cl_mem best = max && argmax != null ? mem(argmax, "pool argmax", 0, outSize) : null;
        runWith("pool2d", outSize, context.constants(KernelArguments.geometry(g)), 2, planes, max ? 1 : 0, in, xOffset, out,
                yOffset, best);
    }

    @Override
    public void pool2dBackward(PoolGeometry g, boolean max, int planes, DeviceBuffer dy, long dyOffset,
            DeviceBuffer argmax, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("pool2dBackward", this);
        long outSize = (long) planes * g.outHeight() * g.outWidth();
        long inSize = (long) planes * g.height() * g.width();
        if (max) {
            Objects.requireNonNull(argmax, "max pooling's gradient needs the argmax of the forward pass");
        }
        cl_mem up = mem(dy, "pool gradient", dyOffset, outSize);
        cl_mem best = max ? mem(argmax, "pool argmax", 0, outSize) : null;
        cl_mem down = mem(dx, "pool input gradient", dxOffset, inSize);
        runWith("pool2d_backward", inSize, context.constants(KernelArguments.geometry(g)), 2, planes, max ? 1 : 0, up, dyOffset,
                best, down, dxOffset);
    }

    @Override
    public void layerNorm(int rows, int cols, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma,
            DeviceBuffer beta, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("layerNorm", this);
        long n = (long) rows * cols;
        run("layer_norm", rows, rows, cols, eps, mem(x, "layer-norm x", xOffset, n), xOffset,
                mem(gamma, "layer-norm gamma", 0, cols), mem(beta, "layer-norm beta", 0, cols),
                mem(y, "layer-norm y", yOffset, n), yOffset, mem(mean, "layer-norm mean", 0, rows),
                mem(rstd, "layer-norm rstd", 0, rows));
    }

    @Override
    public void layerNormBackward(int rows, int cols, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset,
            DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("layerNormBackward", this);
        long n = (long) rows * cols;
        cl_mem dym = mem(dy, "layer-norm dy", dyOffset, n);
        cl_mem xm = mem(x, "layer-norm x", xOffset, n);
        cl_mem meanm = mem(mean, "layer-norm mean", 0, rows);
        cl_mem rstdm = mem(rstd, "layer-norm rstd", 0, rows);
        run("layer_norm_backward_rows", rows, rows, cols, dym, dyOffset, xm, xOffset, meanm, rstdm,
                mem(gamma, "layer-norm gamma", 0, cols), mem(dx, "layer-norm dx", dxOffset, n), dxOffset);
        run("layer_norm_backward_columns", cols, rows, cols, dym, dyOffset, xm, xOffset, meanm, rstdm,
                mem(dgamma, "layer-norm dgamma", 0, cols), mem(dbeta, "layer-norm dbeta", 0, cols));
    }

    @Override
    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps,
            DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer runningMean,
            DeviceBuffer runningVar, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("batchNorm", this);
        long size = (long) n * channels * spatial;
        run("batch_norm", channels, n, channels, spatial, training ? 1 : 0, momentum, eps,
                mem(x, "batch-norm x", xOffset, size), xOffset, mem(gamma, "batch-norm gamma", 0, channels),
                mem(beta, "batch-norm beta", 0, channels), mem(runningMean, "batch-norm running mean", 0, channels),
                mem(runningVar, "batch-norm running variance", 0, channels), mem(y, "batch-norm y", yOffset, size),
                yOffset, training ? mem(mean, "batch-norm mean", 0, channels) : null,
                training ? mem(rstd, "batch-norm rstd", 0, channels) : null);
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, DeviceBuffer dy, long dyOffset, DeviceBuffer x,
            long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("batchNormBackward", this);
        long size = (long) n * channels * spatial;
        run("batch_norm_backward", channels, n, channels, spatial, mem(dy, "batch-norm dy", dyOffset, size), dyOffset,
                mem(x, "batch-norm x", xOffset, size), xOffset, mem(mean, "batch-norm mean", 0, channels),
                mem(rstd, "batch-norm rstd", 0, channels), mem(gamma, "batch-norm gamma", 0, channels),
                mem(dx, "batch-norm dx", dxOffset, size), dxOffset, mem(dgamma, "batch-norm dgamma", 0, channels),
                mem(dbeta, "batch-norm dbeta", 0, channels));
    }

    @Override
    public void gather(int count, int dim, DeviceBuffer table, DeviceBuffer indices, long indicesOffset,
            DeviceBuffer out, long outOffset) {
        faults.beforeOperation("gather", this);
        long rows = table.floats() / dim;
        KernelArguments.checkIndices(downloadInts(indices, indicesOffset, count), rows);
        run("gather_rows", (long) count * dim, count, dim, mem(table, "embedding table", 0, rows * dim),
                mem(indices, "embedding indices", indicesOffset, count), indicesOffset,
                mem(out, "embedding output", outOffset, (long) count * dim), outOffset);
    }

    @Override
    public void scatterAdd(int count, int dim, DeviceBuffer dout, long doutOffset, DeviceBuffer indices,
            long indicesOffset, DeviceBuffer dtable) {
        faults.beforeOperation("scatterAdd", this);
        long rows = dtable.floats() / dim;
        KernelArguments.checkIndices(downloadInts(indices, indicesOffset, count), rows);
        run("scatter_add_rows", rows * dim, count, dim, rows, mem(dout, "embedding gradient", doutOffset,
                (long) count * dim), doutOffset, mem(indices, "embedding indices", indicesOffset, count), indicesOffset,
                mem(dtable, "embedding table gradient", 0, rows * dim));
    }

    @Override
    public void dropout(long count, float p, long seed, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer mask) {
        faults.beforeOperation("dropout", this);
        float keepScale = 1f / (1f - p);
        long keepFrom = (long) Math.ceil(p * 0x1p24);
        run("dropout", count, count, keepFrom, keepScale, seed, mem(x, "dropout x", xOffset, count), xOffset,
                mem(y, "dropout y", yOffset, count), yOffset, mem(mask, "dropout mask", 0, count));
    }

    @Override
    public void causalMask(int batch, int rows, int cols, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("causalMask", this);
        long n = (long) batch * rows * cols;
        run("causal_mask", n, batch, rows, cols, mem(x, "causal mask scores", xOffset, n), xOffset);
    }

    // ------------------------------------------------------------------ optimizers

    @Override
    public void sgdStep(long count, float lr, float momentum, float weightDecay, boolean nesterov, InOut param,
            DeviceBuffer grad, long gradOffset, InOut velocity) {
        faults.beforeOperation("sgdStep", this);
        boolean moving = momentum != 0f;
        if (moving) {
            Objects.requireNonNull(velocity, "velocity must not be null when momentum is " + momentum);
        }
        run("sgd_step", count, count, lr, momentum, weightDecay, nesterov ? 1 : 0,
                mem(param.from(), "parameter", param.fromOffset(), count), param.fromOffset(),
                mem(param.to(), "new parameter", param.toOffset(), count), param.toOffset(),
                mem(grad, "gradient", gradOffset, count), gradOffset,
                moving ? mem(velocity.from(), "velocity", velocity.fromOffset(), count) : null,
                moving ? velocity.fromOffset() : 0L,
                moving ? mem(velocity.to(), "new velocity", velocity.toOffset(), count) : null,
                moving ? velocity.toOffset() : 0L);
    }

    @Override
    public void adamStep(long count, float lr, float beta1, float beta2, float eps, float weightDecay,
            boolean decoupled, long t, InOut param, DeviceBuffer grad, long gradOffset, InOut m, InOut v) {
        faults.beforeOperation("adamStep", this);
        if (t < 1) {
            throw new IllegalArgumentException("Adam's step count starts at 1, got " + t);
        }
        float c1 = (float) (1 - Math.pow(beta1, t));
        float c2 = (float) (1 - Math.pow(beta2, t));
        run("adam_step", count, count, lr, beta1, beta2, eps, weightDecay, decoupled ? 1 : 0, lr / c1,
                (float) Math.sqrt(c2), mem(param.from(), "parameter", param.fromOffset(), count), param.fromOffset(),
                mem(param.to(), "new parameter", param.toOffset(), count), param.toOffset(),
                mem(grad, "gradient", gradOffset, count), gradOffset,
                mem(m.from(), "first moment", m.fromOffset(), count), m.fromOffset(),
                mem(m.to(), "new first moment", m.toOffset(), count), m.toOffset(),
                mem(v.from(), "second moment", v.fromOffset(), count), v.fromOffset(),
                mem(v.to(), "new second moment", v.toOffset(), count), v.toOffset());
    }

    /** Releases the device's memory, kernels, queue and context. */
    @Override
    public void close() {
        memory.close();
        context.close();
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + device.name() + "]";
    }
}
