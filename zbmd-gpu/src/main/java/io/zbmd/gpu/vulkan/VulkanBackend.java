package io.zbmd.gpu.vulkan;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

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
import io.zbmd.gpu.vulkan.VulkanContext.VkBlock;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Vulkan backend: every operation as a GLSL compute shader ({@code kernels.comp}, compiled
 * to SPIR-V at run time by shaderc, one pipeline per kernel, cached), on device memory from a
 * budgeted pool. It runs wherever a Vulkan driver is: a GPU's, or Mesa's lavapipe on the CPU.
 * The shaders mirror the OpenCL backend's kernels, and the conformance suite holds them to the
 * CPU backend. Sums run in 64-bit floats where the device has them ({@code shaderFloat64}), in
 * 32-bit ones elsewhere; the device's capabilities say which, so that a run's identity does.
 *
 * <p>Each kernel waits for its fence, so that a device error surfaces in the call that caused
 * it; copies to and from the host are plain memory copies into mapped memory (see
 * {@link VulkanContext}). Indices in the shaders are 32-bit: a buffer holds fewer than 2^31
 * elements. Thread-safe (the context serialises dispatches); see {@link Backend} for the
 * per-buffer contract. Needs LWJGL's Vulkan and shaderc bindings on the class path.
 */
public final class VulkanBackend implements Backend {
    private static final String SOURCE = KernelSources.read(VulkanBackend.class, "kernels.comp");
    /** Invocations per work group of the one-dimensional kernels ({@code local_size_x} in kernels.comp). */
    private static final int GROUP = 64;
    /** The most work groups along one dimension every Vulkan device accepts. */
    private static final int MAX_GROUPS = 65_535;
    /** The rows (and columns) of C one SGEMM work group computes: 8x8 invocations of 4x4 each. */
    private static final int SGEMM_GROUP_SIDE = 32;

    private final VulkanContext context;
    private final MemoryPool memory;
    private final Device device;
    private final DeviceFaults faults;
    private final Map<String, String> sources;

    /**
     * Opens a Vulkan device.
     *
     * @param index the device's place in {@link VulkanContext#list()}
     * @param memoryBudgetBytes the most device memory tensors may use
     * @return the backend
     * @throws DeviceException if there is no such device or it cannot be opened, or the
     *     shaders do not build for it ({@link KernelBuildException}, with the compiler's log)
     */
    public static VulkanBackend open(int index, long memoryBudgetBytes) {
        VulkanContext context = VulkanContext.open(index);
        try {
            VulkanBackend backend = new VulkanBackend(context, memoryBudgetBytes);
            context.build(backend.kernelSource("scale"), 1); // a device that cannot build shaders fails here
            return backend;
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    private VulkanBackend(VulkanContext context, long memoryBudgetBytes) {
        this.context = context;
        this.memory = new MemoryPool(context.name().split(" ", 2)[0], memoryBudgetBytes, false, context.allocator());
        List<String> capabilities = new ArrayList<>(List.of("f32-compute", "bf16-storage", "f16-storage",
                context.float64() ? "f64-sums" : "f32-sums", "gemm:Vulkan SGEMM, 4x4 blocks in registers",
                "lanes:Vulkan on " + context.name()));
        this.device = new Device("vulkan", context.name(), memoryBudgetBytes, 1, capabilities);
        this.faults = DeviceFaults.NONE;
        this.sources = new ConcurrentHashMap<>();
    }

    private VulkanBackend(VulkanBackend shared, DeviceFaults faults) {
        this.context = shared.context;
        this.memory = shared.memory;
        this.device = shared.device;
        this.sources = shared.sources;
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
    public VulkanBackend withFaults(DeviceFaults faults) {
        return new VulkanBackend(this, Objects.requireNonNull(faults, "faults must not be null"));
    }

    @Override
    public MemoryPool memory() {
        return memory;
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        faults.beforeOperation("allocate", this);
        if (floats >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a Vulkan buffer holds fewer than 2^31 elements, not " + floats
                    + ": split the tensor");
        }
        return memory.allocateFloats(floats);
    }

    // ------------------------------------------------------------------ arguments and dispatch

    /** @return the buffer's block, once it is known to hold elements [offset, offset + count) */
    private VkBlock mem(DeviceBuffer buffer, String what, long offset, long count) {
        KernelArguments.own(buffer, memory, device, what).checkRange(what, offset, count);
        return block(buffer);
    }

    /** @return the buffer's block, once the strided view is known to fit in it */
    private VkBlock view(DeviceBuffer buffer, String what, int[] shape, long offset, long[] strides) {
        KernelArguments.own(buffer, memory, device, what).checkView(what, shape, offset, strides);
        return block(buffer);
    }

    private VkBlock block(DeviceBuffer buffer) {
        if (context.isClosed()) {
            throw new IllegalStateException(device.name() + " is closed: its buffers are gone");
        }
        return (VkBlock) buffer.block();
    }

    /** Kernel parameters, in the order a section of kernels.comp reads them. */
    private static final class Params {
        private int[] values = new int[16];
        private int size;

        Params i(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = Math.toIntExact(value);
            return this;
        }

        Params f(float value) {
            return i(Float.floatToRawIntBits(value));
        }

        Params flag(boolean value) {
            return i(value ? 1 : 0);
        }

        Params all(long[] values) {
            for (long value : values) {
                i(value);
            }
            return this;
        }

        Params all(int[] values) {
            for (int value : values) {
                i(value);
            }
            return this;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static Params params() {
        return new Params();
    }

    /** Runs a one-dimensional kernel over {@code items} items (none: it does not run). */
    private void run(String kernel, long items, Params params, VkBlock... buffers) {
        if (items == 0) {
            return;
        }
        int groups = (int) Math.min(MAX_GROUPS, (items + GROUP - 1) / GROUP);
        context.dispatch(kernelSource(kernel), params.toArray(), List.of(buffers), groups, 1);
    }

    private String kernelSource(String kernel) {
        return sources.computeIfAbsent(kernel, name -> "#version 450\n#define KERNEL_" + name + "\n#define ACC "
                + (context.float64() ? "double" : "float") + "\n#line 1\n" + SOURCE);
    }

    // ------------------------------------------------------------------ transfers

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("upload", this);
        MemorySegment.copy(src, srcOffset, mem(dst, "upload destination", dstOffset, count).mapped(), JAVA_FLOAT,
                dstOffset * Float.BYTES, count);
    }

    @Override
    public void uploadInts(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("uploadInts", this);
        MemorySegment.copy(src, srcOffset, mem(dst, "upload destination", dstOffset, count).mapped(), JAVA_INT,
                dstOffset * Integer.BYTES, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        faults.beforeOperation("download", this);
        MemorySegment.copy(mem(src, "download source", srcOffset, count).mapped(), JAVA_FLOAT, srcOffset * Float.BYTES,
                dst, dstOffset, count);
    }

    @Override
    public void downloadInts(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
        faults.beforeOperation("downloadInts", this);
        MemorySegment.copy(mem(src, "download source", srcOffset, count).mapped(), JAVA_INT,
                srcOffset * Integer.BYTES, dst, dstOffset, count);
    }

    private int[] readInts(DeviceBuffer buffer, String what, long offset, int count) {
        int[] values = new int[count];
        MemorySegment.copy(mem(buffer, what, offset, count).mapped(), JAVA_INT, offset * Integer.BYTES, values, 0,
                count);
        return values;
    }

    @Override
    public void copy(int[] shape, DeviceBuffer src, long srcOffset, long[] srcStrides, DeviceBuffer dst,
            long dstOffset, long[] dstStrides) {
        faults.beforeOperation("copy", this);
        VkBlock from = view(src, "copy source", shape, srcOffset, srcStrides);
        VkBlock to = view(dst, "copy destination", shape, dstOffset, dstStrides);
        long count = KernelArguments.count(shape);
        long[] view = KernelArguments.viewConstants(shape, srcStrides, dstStrides);
        run("copy_strided", count, params().i(count).i(shape.length).i(srcOffset).i(dstOffset)
                .all(Arrays.copyOfRange(view, 1, view.length)), from, to);
    }

    @Override
    public void fill(DeviceBuffer x, long offset, long count, float value) {
        faults.beforeOperation("fill", this);
        run("fill", count, params().i(count).i(offset).f(value), mem(x, "fill", offset, count));
    }

    @Override
    public void convert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst, long dstOffset,
            long count) {
        faults.beforeOperation("convert", this);
        VkBlock in = mem(src, "convert source", 0, 0);
        VkBlock out = mem(dst, "convert destination", 0, 0);
        KernelArguments.checkConvert(from, src, srcOffset, to, dst, dstOffset, count);
        if (from == to) {
            MemorySegment.copy(in.mapped(), srcOffset * from.bytes(), out.mapped(), dstOffset * to.bytes(),
                    count * from.bytes());
            return;
        }
        String kernel = switch (from == DType.F32 ? to : from) {
            case BF16 -> from == DType.F32 ? "f32_to_bf16" : "bf16_to_f32";
            case F16 -> from == DType.F32 ? "f32_to_f16" : "f16_to_f32";
            case I32 -> from == DType.F32 ? "f32_to_i32" : "i32_to_f32";
            case F32 -> throw new AssertionError("same types are copied above");
        };
        run(kernel, count, params().i(count).i(srcOffset).i(dstOffset), in, out);
    }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, long aOffset,
            int lda, DeviceBuffer b, long bOffset, int ldb, float beta, DeviceBuffer c, long cOffset, int ldc) {
        faults.beforeOperation("sgemm", this);
        long[] extents = KernelArguments.sgemmExtents(transA, transB, m, n, k, lda, ldb, ldc);
        VkBlock am = mem(a, "sgemm A", aOffset, extents[0]);
        VkBlock bm = mem(b, "sgemm B", bOffset, extents[1]);
        VkBlock cm = mem(c, "sgemm C", cOffset, extents[2]);
        if (m == 0 || n == 0) {
            return;
        }
        int groupsX = (n + SGEMM_GROUP_SIDE - 1) / SGEMM_GROUP_SIDE;
        int groupsY = (m + SGEMM_GROUP_SIDE - 1) / SGEMM_GROUP_SIDE;
        if (groupsY > MAX_GROUPS || groupsX > MAX_GROUPS) {
            throw new IllegalArgumentException("sgemm of " + m + " x " + n + " is beyond the " + MAX_GROUPS * SGEMM_GROUP_SIDE
                    + " rows and columns a Vulkan dispatch covers: split it");
        }
        Params params = params().flag(transA).flag(transB).i(m).i(n).i(k).f(alpha).i(aOffset).i(lda).i(bOffset)
                .i(ldb).f(beta).i(cOffset).i(ldc);
        context.dispatch(kernelSource("sgemm"), params.toArray(), List.of(am, bm, cm), groupsX, groupsY);
    }

    @Override
    public void axpy(long count, float alpha, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("axpy", this);
        run("axpy", count, params().i(count).f(alpha).i(xOffset).i(yOffset), mem(x, "axpy x", xOffset, count),
                mem(y, "axpy y", yOffset, count));
    }

    @Override
    public void scale(long count, float alpha, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("scale", this);
        run("scale", count, params().i(count).f(alpha).i(xOffset), mem(x, "scale x", xOffset, count));
    }

    @Override
    public double sumOfSquares(long count, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("sumOfSquares", this);
        VkBlock in = mem(x, "sumOfSquares x", xOffset, count);
        if (count == 0) {
            return 0;
        }
        int chunk = 1024;
        int parts = (int) ((count + chunk - 1) / chunk);
        try (DeviceBuffer partial = memory.allocateFloats(parts)) {
            run("sum_of_squares", parts, params().i(count).i(chunk).i(xOffset), in, block(partial));
            float[] sums = new float[parts];
            download(partial, 0, sums, 0, parts);
            double total = 0;
            for (float sum : sums) {
                total += sum;
            }
            return total;
        }
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public void unary(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("unary", this);
        run("unary", count, params().i(op.ordinal()).i(count).i(xOffset).i(yOffset),
                mem(x, "unary x", xOffset, count), mem(y, "unary y", yOffset, count));
    }

    @Override
    public void unaryBackward(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("unaryBackward", this);
        boolean needsY = op == UnaryOp.EXP || op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.SQRT;
        if (needsY) {
            Objects.requireNonNull(y, () -> op + "'s gradient needs the forward output y");
        }
        VkBlock xm = mem(x, "unaryBackward x", xOffset, count);
        VkBlock ym = y == null ? xm : mem(y, "unaryBackward y", yOffset, count);
        run("unary_backward", count, params().i(op.ordinal()).i(count).i(xOffset).i(y == null ? 0 : yOffset)
                .i(dyOffset).i(dxOffset).flag(y != null), xm, ym, mem(dy, "unaryBackward dy", dyOffset, count),
                mem(dx, "unaryBackward dx", dxOffset, count));
    }

    @Override
    public void binary(BinaryOp op, int[] shape, DeviceBuffer a, long aOffset, long[] aStrides, DeviceBuffer b,
            long bOffset, long[] bStrides, DeviceBuffer out, long outOffset, long[] outStrides) {
        faults.beforeOperation("binary", this);
        VkBlock am = view(a, "binary a", shape, aOffset, aStrides);
        VkBlock bm = view(b, "binary b", shape, bOffset, bStrides);
        VkBlock om = view(out, "binary out", shape, outOffset, outStrides);
        long count = KernelArguments.count(shape);
        long[] view = KernelArguments.viewConstants(shape, aStrides, bStrides, outStrides);
        run("binary_strided", count, params().i(op.ordinal()).i(count).i(shape.length).i(aOffset).i(bOffset)
                .i(outOffset).all(Arrays.copyOfRange(view, 1, view.length)), am, bm, om);
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, DeviceBuffer x, long xOffset, long[] xStrides, DeviceBuffer out,
            long outOffset, long[] outStrides, boolean accumulate, DeviceBuffer argmax) {
        faults.beforeOperation("reduce", this);
        VkBlock xm = view(x, "reduce x", shape, xOffset, xStrides);
        VkBlock om = view(out, "reduce out", shape, outOffset, outStrides);
        long outCount = KernelArguments.keptCount(shape, outStrides);
        boolean indices = op == ReduceOp.MAX && argmax != null;
        VkBlock best = indices ? mem(argmax, "reduce argmax", 0, outCount) : om;
        if (KernelArguments.count(shape) == 0) {
            return;
        }
        long[] view = KernelArguments.viewConstants(shape, xStrides, outStrides,
                KernelArguments.keptStrides(shape, outStrides));
        run("reduce", outCount, params().i(op == ReduceOp.SUM ? 0 : 1).i(outCount).i(shape.length).i(xOffset)
                .i(outOffset).flag(accumulate).flag(indices).all(Arrays.copyOfRange(view, 1, view.length)), xm, om,
                best);
    }

    @Override
    public void argmaxRows(int rows, int cols, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset) {
        faults.beforeOperation("argmaxRows", this);
        run("argmax_rows", rows, params().i(rows).i(cols).i(xOffset).i(outOffset),
                mem(x, "argmax input", xOffset, (long) rows * cols), mem(out, "argmax output", outOffset, rows));
    }

    // ------------------------------------------------------------------ neural-network kernels

    @Override
    public void softmax(int rows, int cols, boolean log, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("softmax", this);
        long n = (long) rows * cols;
        run("softmax", rows, params().i(rows).i(cols).flag(log).i(xOffset).i(yOffset),
                mem(x, "softmax x", xOffset, n), mem(y, "softmax y", yOffset, n));
    }

    @Override
    public void softmaxBackward(int rows, int cols, boolean log, DeviceBuffer y, long yOffset, DeviceBuffer dy,
            long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("softmaxBackward", this);
        long n = (long) rows * cols;
        run("softmax_backward", rows, params().i(rows).i(cols).flag(log).i(yOffset).i(dyOffset).i(dxOffset),
                mem(y, "softmax y", yOffset, n), mem(dy, "softmax dy", dyOffset, n), mem(dx, "softmax dx", dxOffset, n));
    }

    @Override
    public void crossEntropy(int rows, int cols, float smoothing, DeviceBuffer logits, long logitsOffset,
            DeviceBuffer labels, long labelsOffset, DeviceBuffer lossPerRow, long lossOffset, DeviceBuffer grad,
            long gradOffset, float scale) {
        faults.beforeOperation("crossEntropy", this);
        long n = (long) rows * cols;
        KernelArguments.checkLabels(readInts(labels, "cross-entropy labels", labelsOffset, rows), cols);
        VkBlock losses = mem(lossPerRow, "cross-entropy losses", lossOffset, rows);
        run("cross_entropy", rows, params().i(rows).i(cols).f(smoothing).i(logitsOffset).i(labelsOffset)
                .i(lossOffset).i(grad == null ? 0 : gradOffset).f(scale).flag(grad != null),
                mem(logits, "cross-entropy logits", logitsOffset, n), mem(labels, "cross-entropy labels",
                        labelsOffset, rows), losses,
                grad == null ? losses : mem(grad, "cross-entropy gradient", gradOffset, n));
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
        VkBlock in = mem(image, "im2col image", imageOffset, images * imageSize);
        VkBlock out = mem(columns, "im2col columns", columnsOffset, g.columnsExtent(images, columnsRowStride));
        long items = (long) g.columnRows() * images * g.columnCols();
        run("im2col", items, params().i(images).i(imageOffset).i(columnsOffset).i(columnsRowStride)
                .all(KernelArguments.geometry(g)), in, out);
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
        VkBlock in = mem(columns, "col2im columns", columnsOffset, g.columnsExtent(images, columnsRowStride));
        VkBlock out = mem(image, "col2im image", imageOffset, images * imageSize);
        run("col2im", images * imageSize, params().i(images).i(columnsOffset).i(columnsRowStride).i(imageOffset)
                .all(KernelArguments.geometry(g)), in, out);
    }

    @Override
    public void pool2d(PoolGeometry g, boolean max, int planes, DeviceBuffer x, long xOffset, DeviceBuffer y,
            long yOffset, DeviceBuffer argmax) {
        faults.beforeOperation("pool2d", this);
        long outSize = (long) planes * g.outHeight() * g.outWidth();
        VkBlock in = mem(x, "pool input", xOffset, (long) planes * g.height() * g.width());
        VkBlock out = mem(y, "pool output", yOffset, outSize);
        boolean indices = max && argmax != null;
        VkBlock best = indices ? mem(argmax, "pool argmax", 0, outSize) : out;
        run("pool2d", outSize, params().i(planes).flag(max).i(xOffset).i(yOffset).flag(indices)
                .all(KernelArguments.geometry(g)), in, out, best);
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
        VkBlock up = mem(dy, "pool gradient", dyOffset, outSize);
        VkBlock best = max ? mem(argmax, "pool argmax", 0, outSize) : up;
        VkBlock down = mem(dx, "pool input gradient", dxOffset, inSize);
        run("pool2d_backward", inSize, params().i(planes).flag(max).i(dyOffset).i(dxOffset)
                .all(KernelArguments.geometry(g)), up, best, down);
    }

    @Override
    public void layerNorm(int rows, int cols, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma,
            DeviceBuffer beta, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("layerNorm", this);
        long n = (long) rows * cols;
        run("layer_norm", rows, params().i(rows).i(cols).f(eps).i(xOffset).i(yOffset),
                mem(x, "layer-norm x", xOffset, n), mem(gamma, "layer-norm gamma", 0, cols),
                mem(beta, "layer-norm beta", 0, cols), mem(y, "layer-norm y", yOffset, n),
                mem(mean, "layer-norm mean", 0, rows), mem(rstd, "layer-norm rstd", 0, rows));
    }

    @Override
    public void layerNormBackward(int rows, int cols, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset,
            DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("layerNormBackward", this);
        long n = (long) rows * cols;
        VkBlock dym = mem(dy, "layer-norm dy", dyOffset, n);
        VkBlock xm = mem(x, "layer-norm x", xOffset, n);
        VkBlock meanm = mem(mean, "layer-norm mean", 0, rows);
        VkBlock rstdm = mem(rstd, "layer-norm rstd", 0, rows);
        run("layer_norm_backward_rows", rows, params().i(rows).i(cols).i(dyOffset).i(xOffset).i(dxOffset), dym, xm,
                meanm, rstdm, mem(gamma, "layer-norm gamma", 0, cols), mem(dx, "layer-norm dx", dxOffset, n));
        run("layer_norm_backward_columns", cols, params().i(rows).i(cols).i(dyOffset).i(xOffset), dym, xm, meanm,
                rstdm, mem(dgamma, "layer-norm dgamma", 0, cols), mem(dbeta, "layer-norm dbeta", 0, cols));
    }

    @Override
    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps,
            DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer runningMean,
            DeviceBuffer runningVar, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("batchNorm", this);
        long size = (long) n * channels * spatial;
        VkBlock xm = mem(x, "batch-norm x", xOffset, size);
        run("batch_norm", channels, params().i(n).i(channels).i(spatial).flag(training).f(momentum).f(eps)
                .i(xOffset).i(yOffset), xm, mem(gamma, "batch-norm gamma", 0, channels),
                mem(beta, "batch-norm beta", 0, channels),
                mem(runningMean, "batch-norm running mean", 0, channels),
                mem(runningVar, "batch-norm running variance", 0, channels), mem(y, "batch-norm y", yOffset, size),
                training ? mem(mean, "batch-norm mean", 0, channels) : xm,
                training ? mem(rstd, "batch-norm rstd", 0, channels) : xm);
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, DeviceBuffer dy, long dyOffset, DeviceBuffer x,
            long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("batchNormBackward", this);
        long size = (long) n * channels * spatial;
        run("batch_norm_backward", channels, params().i(n).i(channels).i(spatial).i(dyOffset).i(xOffset)
                .i(dxOffset), mem(dy, "batch-norm dy", dyOffset, size), mem(x, "batch-norm x", xOffset, size),
                mem(mean, "batch-norm mean", 0, channels), mem(rstd, "batch-norm rstd", 0, channels),
                mem(gamma, "batch-norm gamma", 0, channels), mem(dx, "batch-norm dx", dxOffset, size),
                mem(dgamma, "batch-norm dgamma", 0, channels), mem(dbeta, "batch-norm dbeta", 0, channels));
    }

    @Override
    public void gather(int count, int dim, DeviceBuffer table, DeviceBuffer indices, long indicesOffset,
            DeviceBuffer out, long outOffset) {
        faults.beforeOperation("gather", this);
        long rows = table.floats() / dim;
        KernelArguments.checkIndices(readInts(indices, "embedding indices", indicesOffset, count), rows);
        run("gather_rows", (long) count * dim, params().i(count).i(dim).i(indicesOffset).i(outOffset),
                mem(table, "embedding table", 0, rows * dim), mem(indices, "embedding indices", indicesOffset, count),
                mem(out, "embedding output", outOffset, (long) count * dim));
    }

    @Override
    public void scatterAdd(int count, int dim, DeviceBuffer dout, long doutOffset, DeviceBuffer indices,
            long indicesOffset, DeviceBuffer dtable) {
        faults.beforeOperation("scatterAdd", this);
        long rows = dtable.floats() / dim;
        KernelArguments.checkIndices(readInts(indices, "embedding indices", indicesOffset, count), rows);
        run("scatter_add_rows", rows * dim, params().i(count).i(dim).i(rows).i(doutOffset).i(indicesOffset),
                mem(dout, "embedding gradient", doutOffset, (long) count * dim),
                mem(indices, "embedding indices", indicesOffset, count),
                mem(dtable, "embedding table gradient", 0, rows * dim));
    }

    @Override
    public void dropout(long count, float p, long seed, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer mask) {
        faults.beforeOperation("dropout", this);
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        float keepScale = 1f / (1f - p);
        long keepFrom = (long) Math.ceil(p * 0x1p24);
        run("dropout", count, params().i(count).i(keepFrom).f(keepScale).i((int) seed).i((int) (seed >>> 32))
                .i(xOffset).i(yOffset), mem(x, "dropout x", xOffset, count), mem(y, "dropout y", yOffset, count),
                mem(mask, "dropout mask", 0, count));
    }

    @Override
    public void causalMask(int batch, int rows, int cols, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("causalMask", this);
        long n = (long) batch * rows * cols;
        run("causal_mask", n, params().i(batch).i(rows).i(cols).i(xOffset), mem(x, "causal mask scores", xOffset, n));
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
        VkBlock from = mem(param.from(), "parameter", param.fromOffset(), count);
        run("sgd_step", count, params().i(count).f(lr).f(momentum).f(weightDecay).flag(nesterov)
                .i(param.fromOffset()).i(param.toOffset()).i(gradOffset).i(moving ? velocity.fromOffset() : 0)
                .i(moving ? velocity.toOffset() : 0), from,
                mem(param.to(), "new parameter", param.toOffset(), count), mem(grad, "gradient", gradOffset, count),
                moving ? mem(velocity.from(), "velocity", velocity.fromOffset(), count) : from,
                moving ? mem(velocity.to(), "new velocity", velocity.toOffset(), count) : from);
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
        run("adam_step", count, params().i(count).f(lr).f(beta1).f(beta2).f(eps).f(weightDecay).flag(decoupled)
                .f(lr / c1).f((float) Math.sqrt(c2)).i(param.fromOffset()).i(param.toOffset()).i(gradOffset)
                .i(m.fromOffset()).i(m.toOffset()).i(v.fromOffset()).i(v.toOffset()),
                mem(param.from(), "parameter", param.fromOffset(), count),
                mem(param.to(), "new parameter", param.toOffset(), count), mem(grad, "gradient", gradOffset, count),
                mem(m.from(), "first moment", m.fromOffset(), count),
                mem(m.to(), "new first moment", m.toOffset(), count),
                mem(v.from(), "second moment", v.fromOffset(), count),
                mem(v.to(), "new second moment", v.toOffset(), count));
    }

    /** Releases the device's memory, pipelines, queue and context. */
    @Override
    public void close() {
        memory.close();
        context.close();
    }

    @Override
    public String toString() {
        return "VulkanBackend[" + device.name() + "]";
    }
}
