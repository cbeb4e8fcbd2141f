package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.Device;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.InOut;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.UnaryOp;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU backend: always present, implements every kernel. Memory is off-heap, from a
 * budgeted {@link MemoryPool}; element-wise kernels run on the Vector API where its module
 * is present (scalar loops otherwise); GEMM is the faster of native OpenBLAS and zbmd's
 * pure-Java kernel unless configured, and the choice is logged once and shown in
 * {@link #device()}.
 *
 * <p>Thread-safe as a whole; see {@link Backend} for the per-buffer contract.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    private static final AtomicBoolean ADVISED = new AtomicBoolean();

    private final CpuConfig config;
    private final MemoryPool memory;
    private final CpuKernels kernels;
    private final CpuNn nn;
    private final GemmKernel gemm;
    private final Device device;
    private final DeviceFaults faults;

    /**
     * Starts a CPU backend.
     *
     * @param config threads, budget, Vector API, GEMM choice
     * @return the backend
     * @throws IllegalStateException if {@link CpuConfig.Gemm#OPENBLAS} is asked for and
     *     OpenBLAS is not installed
     */
    public static CpuBackend create(CpuConfig config) {
        return new CpuBackend(Objects.requireNonNull(config, "config must not be null"));
    }

    private CpuBackend(CpuConfig config) {
        this.config = config;
        this.memory = new MemoryPool("cpu", config.memoryBudgetBytes(), config.trackAllocations());
        this.kernels = CpuKernels.create(config.useVectorApi(), config.threads());
        this.nn = CpuNn.create(kernels);
        this.gemm = GemmSelection.select(config);
        List<String> capabilities = new ArrayList<>(List.of("f32-compute", "bf16-storage", "f16-storage",
                "lanes:" + kernels.lanesName(), "gemm:" + gemm.name()));
        this.device = new Device("cpu", cpuName() + " (" + config.threads() + " threads, " + kernels.lanesName()
                + ", GEMM: " + gemm.name() + ")", config.memoryBudgetBytes(), config.threads(), capabilities);
        LOG.info("CPU backend: {}", device.name());
        jvmFlagAdvice(config.useVectorApi(), CpuKernels.vectorApiPresent(),
                CpuBackend.class.getModule().isNativeAccessEnabled())
                .filter(advice -> ADVISED.compareAndSet(false, true))
                .ifPresent(LOG::warn);
        this.faults = DeviceFaults.NONE;
    }

    /** A view of {@code shared} that injects {@code faults}: same memory, threads and kernels. */
    private CpuBackend(CpuBackend shared, DeviceFaults faults) {
        this.config = shared.config;
        this.memory = shared.memory;
        this.kernels = shared.kernels;
        this.nn = shared.nn;
        this.gemm = shared.gemm;
        this.device = shared.device;
        this.faults = faults;
    }

    /**
     * What the JVM lacks for the CPU backend to run at full speed, said once per JVM.
     *
     * @param vectorApiWanted whether the configuration asks for the Vector API
     * @param vectorApiPresent whether its module is in the JVM
     * @param nativeAccess whether zbmd may call native code (FFM: OpenBLAS, off-heap memory)
     * @return the advice, or empty when nothing lacks
     */
    static Optional<String> jvmFlagAdvice(boolean vectorApiWanted, boolean vectorApiPresent, boolean nativeAccess) {
        List<String> missing = new ArrayList<>();
        if (vectorApiWanted && !vectorApiPresent) {
            missing.add("--add-modules jdk.incubator.vector (without it the CPU kernels run as scalar loops, several"
                    + " times slower)");
        }
        if (!nativeAccess) {
            missing.add("--enable-native-access=ALL-UNNAMED (without it the JVM warns on zbmd's first native call"
                    + " and a later JDK will refuse it; OpenBLAS and off-heap memory go through FFM)");
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("the JVM runs zbmd without " + String.join(" and without ", missing)
                + ": add the flag(s) to the java command line (see docs/getting-started.md)");
    }

    /** The processor's model name where Linux reports it, else the architecture. */
    private static String cpuName() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .filter(name -> !name.isEmpty())
                    .findFirst()
                    .orElse("CPU " + System.getProperty("os.arch"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "CPU " + System.getProperty("os.arch");
        }
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
    public CpuBackend withFaults(DeviceFaults faults) {
        return new CpuBackend(this, Objects.requireNonNull(faults, "faults must not be null"));
    }

    @Override
    public MemoryPool memory() {
        return memory;
    }

    /** @return the GEMM kernel in use */
    public GemmKernel gemm() {
        return gemm;
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        faults.beforeOperation("allocate", this);
        return memory.allocateFloats(floats);
    }

    // ------------------------------------------------------------------ argument checks

    private static MemorySegment floats(DeviceBuffer buffer, String what, long offset, long count) {
        Objects.requireNonNull(buffer, () -> what + " must not be null");
        buffer.checkRange(what, offset, count);
        return buffer.segment();
    }

    private static MemorySegment view(DeviceBuffer buffer, String what, int[] shape, long offset, long[] strides) {
        Objects.requireNonNull(buffer, () -> what + " must not be null");
        buffer.checkView(what, shape, offset, strides);
        return buffer.segment();
    }

    // ------------------------------------------------------------------ transfers

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("upload", this);
        MemorySegment.copy(src, srcOffset, floats(dst, "upload destination", dstOffset, count), JAVA_FLOAT, dstOffset
                * Float.BYTES, count);
    }

    @Override
    public void uploadInts(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        faults.beforeOperation("uploadInts", this);
        MemorySegment.copy(src, srcOffset, floats(dst, "upload destination", dstOffset, count), JAVA_INT, dstOffset
                * Integer.BYTES, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        faults.beforeOperation("download", this);
        MemorySegment.copy(floats(src, "download source", srcOffset, count), JAVA_FLOAT, srcOffset * Float.BYTES, dst,
                dstOffset, count);
    }

    @Override
    public void downloadInts(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
        faults.beforeOperation("downloadInts", this);
        MemorySegment.copy(floats(src, "download source", srcOffset, count), JAVA_INT, srcOffset * Integer.BYTES, dst,
                dstOffset, count);
    }

    @Override
    public void copy(int[] shape, DeviceBuffer src, long srcOffset, long[] srcStrides, DeviceBuffer dst,
            long dstOffset, long[] dstStrides) {
        faults.beforeOperation("copy", this);
        kernels.copy(shape, view(src, "copy source", shape, srcOffset, srcStrides), srcOffset, srcStrides,
                view(dst, "copy destination", shape, dstOffset, dstStrides), dstOffset, dstStrides);
    }

    @Override
    public void fill(DeviceBuffer x, long offset, long count, float value) {
        faults.beforeOperation("fill", this);
        kernels.fill(floats(x, "fill target", offset, count), offset, count, value);
    }

    @Override
    public void convert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst, long dstOffset,
            long count) {
        faults.beforeOperation("convert", this);
        long srcFloats = (srcOffset + count) * from.bytes();
        long dstFloats = (dstOffset + count) * to.bytes();
        if (srcFloats > src.bytes() || dstFloats > dst.bytes()) {
            throw new IllegalArgumentException("convert " + count + " values from " + from + " to " + to
                    + ": source of " + src.bytes() + " bytes or destination of " + dst.bytes() + " bytes too small");
        }
        ConvertKernels.convert(from, src.segment(), srcOffset, to, dst.segment(), dstOffset, count);
    }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, long aOffset,
            int lda, DeviceBuffer b, long bOffset, int ldb, float beta, DeviceBuffer c, long cOffset, int ldc) {
        faults.beforeOperation("sgemm", this);
        // The kernels' workers would spin through the first 0.1 ms of the product, on cores the
        // GEMM's own threads want: on 2 threads that cost the MLP step 15-20% (docs/compute.md).
        kernels.quiesce();
        gemm.sgemm(transA, transB, m, n, k, alpha, a.segment(), aOffset, lda, b.segment(), bOffset, ldb, beta,
                c.segment(), cOffset, ldc);
    }

    @Override
    public void axpy(long count, float alpha, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("axpy", this);
        kernels.axpy(alpha, floats(x, "axpy x", xOffset, count), xOffset, floats(y, "axpy y", yOffset, count), yOffset,
                count);
    }

    @Override
    public void scale(long count, float alpha, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("scale", this);
        kernels.scale(alpha, floats(x, "scale x", xOffset, count), xOffset, count);
    }

    @Override
    public double sumOfSquares(long count, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("sumOfSquares", this);
        return kernels.sumOfSquares(floats(x, "sumOfSquares x", xOffset, count), xOffset, count);
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public void unary(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("unary", this);
        kernels.map(op, floats(x, op + " input", xOffset, count), xOffset, floats(y, op + " output", yOffset, count),
                yOffset, count);
    }

    @Override
    public void unaryBackward(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("unaryBackward", this);
        kernels.mapBackward(op, x == null ? null : floats(x, op + " input", xOffset, count), xOffset,
                y == null ? null : floats(y, op + " output", yOffset, count), yOffset,
                floats(dy, op + " output gradient", dyOffset, count), dyOffset,
                floats(dx, op + " input gradient", dxOffset, count), dxOffset, count);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, DeviceBuffer a, long aOffset, long[] aStrides, DeviceBuffer b,
            long bOffset, long[] bStrides, DeviceBuffer out, long outOffset, long[] outStrides) {
        faults.beforeOperation("binary", this);
        kernels.binary(op, shape, view(a, op + " left", shape, aOffset, aStrides), aOffset, aStrides,
                view(b, op + " right", shape, bOffset, bStrides), bOffset, bStrides,
                view(out, op + " output", shape, outOffset, outStrides), outOffset, outStrides);
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, DeviceBuffer x, long xOffset, long[] xStrides, DeviceBuffer out,
            long outOffset, long[] outStrides, boolean accumulate, DeviceBuffer argmax) {
        faults.beforeOperation("reduce", this);
        kernels.reduce(op, shape, view(x, op + " input", shape, xOffset, xStrides), xOffset, xStrides,
                view(out, op + " output", shape, outOffset, outStrides), outOffset, outStrides, accumulate,
                argmax == null ? null : argmax.segment());
    }

    @Override
    public void argmaxRows(int rows, int cols, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset) {
        faults.beforeOperation("argmaxRows", this);
        kernels.argmaxRows(rows, cols, floats(x, "argmax input", xOffset, (long) rows * cols), xOffset,
                floats(out, "argmax output", outOffset, rows), outOffset);
    }

    // ------------------------------------------------------------------ neural-network kernels

    @Override
    public void softmax(int rows, int cols, boolean log, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        faults.beforeOperation("softmax", this);
        long n = (long) rows * cols;
        nn.softmax(rows, cols, log, floats(x, "softmax input", xOffset, n), xOffset, floats(y, "softmax output",
                yOffset, n), yOffset);
    }

    @Override
    public void softmaxBackward(int rows, int cols, boolean log, DeviceBuffer y, long yOffset, DeviceBuffer dy,
            long dyOffset, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("softmaxBackward", this);
        long n = (long) rows * cols;
        nn.softmaxBackward(rows, cols, log, floats(y, "softmax output", yOffset, n), yOffset,
                floats(dy, "softmax output gradient", dyOffset, n), dyOffset,
                floats(dx, "softmax input gradient", dxOffset, n), dxOffset);
    }

    @Override
    public void crossEntropy(int rows, int cols, float smoothing, DeviceBuffer logits, long logitsOffset,
            DeviceBuffer labels, long labelsOffset, DeviceBuffer lossPerRow, long lossOffset, DeviceBuffer grad,
            long gradOffset, float scale) {
        faults.beforeOperation("crossEntropy", this);
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + smoothing);
        }
        long n = (long) rows * cols;
        nn.crossEntropy(rows, cols, smoothing, floats(logits, "cross-entropy logits", logitsOffset, n), logitsOffset,
                floats(labels, "cross-entropy labels", labelsOffset, rows), labelsOffset,
                floats(lossPerRow, "cross-entropy losses", lossOffset, rows), lossOffset,
                grad == null ? null : floats(grad, "cross-entropy gradient", gradOffset, n), gradOffset, scale);
    }

    @Override
    public void im2col(ConvGeometry g, DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride) {
        faults.beforeOperation("im2col", this);
        g.checkColumns(1, columnsRowStride);
        nn.im2col(g, floats(image, "im2col image", imageOffset, (long) g.channels() * g.height() * g.width()),
                imageOffset, floats(columns, "im2col columns", columnsOffset, g.columnsExtent(1, columnsRowStride)),
                columnsOffset, columnsRowStride);
    }

    @Override
    public void col2im(ConvGeometry g, DeviceBuffer columns, long columnsOffset, long columnsRowStride,
            DeviceBuffer image, long imageOffset) {
        faults.beforeOperation("col2im", this);
        g.checkColumns(1, columnsRowStride);
        nn.col2im(g, floats(columns, "col2im columns", columnsOffset, g.columnsExtent(1, columnsRowStride)),
                columnsOffset, columnsRowStride,
                floats(image, "col2im image", imageOffset, (long) g.channels() * g.height() * g.width()), imageOffset);
    }

    @Override
    public void im2colImages(ConvGeometry g, int images, DeviceBuffer image, long imageOffset, DeviceBuffer columns,
            long columnsOffset, long columnsRowStride) {
        faults.beforeOperation("im2col", this);
        long imageSize = (long) g.channels() * g.height() * g.width();
        g.checkColumns(images, columnsRowStride);
        nn.im2col(g, images, floats(image, "im2col image", imageOffset, images * imageSize), imageOffset,
                floats(columns, "im2col columns", columnsOffset, g.columnsExtent(images, columnsRowStride)),
                columnsOffset, columnsRowStride);
    }

    @Override
    public void col2imImages(ConvGeometry g, int images, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride, DeviceBuffer image, long imageOffset) {
        faults.beforeOperation("col2im", this);
        long imageSize = (long) g.channels() * g.height() * g.width();
        g.checkColumns(images, columnsRowStride);
        nn.col2im(g, images, floats(columns, "col2im columns", columnsOffset,
                g.columnsExtent(images, columnsRowStride)), columnsOffset, columnsRowStride,
                floats(image, "col2im image", imageOffset, images * imageSize), imageOffset);
    }


    /** Elements from the first to one past the last of a batch's strided columns matrix. */


    /** Elements from the first to one past the last of a strided columns matrix. */

    @Override
    public void pool2d(PoolGeometry g, boolean max, int planes, DeviceBuffer x, long xOffset, DeviceBuffer y,
            long yOffset, DeviceBuffer argmax) {
        faults.beforeOperation("pool2d", this);
        long in = (long) planes * g.height() * g.width();
        long out = (long) planes * g.outHeight() * g.outWidth();
        nn.pool2d(g, max, planes, floats(x, "pool input", xOffset, in), xOffset, floats(y, "pool output", yOffset, out),
                yOffset, argmax == null ? null : floats(argmax, "pool argmax", 0, out));
    }

    @Override
    public void pool2dBackward(PoolGeometry g, boolean max, int planes, DeviceBuffer dy, long dyOffset,
            DeviceBuffer argmax, DeviceBuffer dx, long dxOffset) {
        faults.beforeOperation("pool2dBackward", this);
        long in = (long) planes * g.height() * g.width();
        long out = (long) planes * g.outHeight() * g.outWidth();
        nn.pool2dBackward(g, max, planes, floats(dy, "pool output gradient", dyOffset, out), dyOffset,
                max ? floats(argmax, "pool argmax", 0, out) : null, floats(dx, "pool input gradient", dxOffset, in),
                dxOffset);
    }

    @Override
    public void layerNorm(int rows, int cols, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma,
            DeviceBuffer beta, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("layerNorm", this);
        long n = (long) rows * cols;
        nn.layerNorm(rows, cols, eps, floats(x, "layer norm input", xOffset, n), xOffset, floats(gamma, "gamma", 0, cols),
                floats(beta, "beta", 0, cols), floats(y, "layer norm output", yOffset, n), yOffset,
                floats(mean, "mean", 0, rows), floats(rstd, "rstd", 0, rows));
    }

    @Override
    public void layerNormBackward(int rows, int cols, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset,
            DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("layerNormBackward", this);
        long n = (long) rows * cols;
        nn.layerNormBackward(rows, cols, floats(dy, "layer norm output gradient", dyOffset, n), dyOffset,
                floats(x, "layer norm input", xOffset, n), xOffset, floats(mean, "mean", 0, rows),
                floats(rstd, "rstd", 0, rows), floats(gamma, "gamma", 0, cols),
                floats(dx, "layer norm input gradient", dxOffset, n), dxOffset, floats(dgamma, "dgamma", 0, cols),
                floats(dbeta, "dbeta", 0, cols));
    }

    @Override
    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps,
            DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer runningMean,
            DeviceBuffer runningVar, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        faults.beforeOperation("batchNorm", this);
        long total = (long) n * channels * spatial;
        nn.batchNorm(n, channels, spatial, training, momentum, eps, floats(x, "batch norm input", xOffset, total), xOffset,
                floats(gamma, "gamma", 0, channels), floats(beta, "beta", 0, channels),
                floats(runningMean, "running mean", 0, channels), floats(runningVar, "running variance", 0, channels),
                floats(y, "batch norm output", yOffset, total), yOffset,
                mean == null ? null : floats(mean, "mean", 0, channels), rstd == null ? null : floats(rstd, "rstd", 0,
                        channels));
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, DeviceBuffer dy, long dyOffset, DeviceBuffer x,
            long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset,
            DeviceBuffer dgamma, DeviceBuffer dbeta) {
        faults.beforeOperation("batchNormBackward", this);
        long total = (long) n * channels * spatial;
        nn.batchNormBackward(n, channels, spatial, floats(dy, "batch norm output gradient", dyOffset, total), dyOffset,
                floats(x, "batch norm input", xOffset, total), xOffset, floats(mean, "mean", 0, channels),
                floats(rstd, "rstd", 0, channels), floats(gamma, "gamma", 0, channels),
                floats(dx, "batch norm input gradient", dxOffset, total), dxOffset, floats(dgamma, "dgamma", 0, channels),
                floats(dbeta, "dbeta", 0, channels));
    }

    @Override
    public void gather(int count, int dim, DeviceBuffer table, DeviceBuffer indices, long indicesOffset,
            DeviceBuffer out, long outOffset) {
        faults.beforeOperation("gather", this);
        nn.gather(count, dim, table.segment(), floats(indices, "embedding indices", indicesOffset, count),
                indicesOffset, floats(out, "embedding output", outOffset, (long) count * dim), outOffset);
    }

    @Override
    public void scatterAdd(int count, int dim, DeviceBuffer dout, long doutOffset, DeviceBuffer indices,
            long indicesOffset, DeviceBuffer dtable) {
        faults.beforeOperation("scatterAdd", this);
        nn.scatterAdd(count, dim, floats(dout, "embedding output gradient", doutOffset, (long) count * dim),
                doutOffset, floats(indices, "embedding indices", indicesOffset, count), indicesOffset, dtable.segment());
    }

    @Override
    public void dropout(long count, float p, long seed, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset,
            DeviceBuffer mask) {
        faults.beforeOperation("dropout", this);
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        nn.dropout(count, p, seed, floats(x, "dropout input", xOffset, count), xOffset,
                floats(y, "dropout output", yOffset, count), yOffset, floats(mask, "dropout mask", 0, count));
    }

    @Override
    public void causalMask(int batch, int rows, int cols, DeviceBuffer x, long xOffset) {
        faults.beforeOperation("causalMask", this);
        nn.causalMask(batch, rows, cols, floats(x, "causal mask target", xOffset, (long) batch * rows * cols), xOffset);
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
        kernels.sgd(lr, momentum, weightDecay, nesterov, floats(param.from(), "parameter", param.fromOffset(), count),
                param.fromOffset(), floats(param.to(), "new parameter", param.toOffset(), count), param.toOffset(),
                floats(grad, "gradient", gradOffset, count), gradOffset,
                moving ? floats(velocity.from(), "velocity", velocity.fromOffset(), count) : null,
                moving ? velocity.fromOffset() : 0,
                moving ? floats(velocity.to(), "new velocity", velocity.toOffset(), count) : null,
                moving ? velocity.toOffset() : 0, count);
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
        kernels.adam(lr, beta1, beta2, eps, weightDecay, decoupled, c1, c2,
                floats(param.from(), "parameter", param.fromOffset(), count), param.fromOffset(),
                floats(param.to(), "new parameter", param.toOffset(), count), param.toOffset(),
                floats(grad, "gradient", gradOffset, count), gradOffset,
                floats(m.from(), "first moment", m.fromOffset(), count), m.fromOffset(),
                floats(m.to(), "new first moment", m.toOffset(), count), m.toOffset(),
                floats(v.from(), "second moment", v.fromOffset(), count), v.fromOffset(),
                floats(v.to(), "new second moment", v.toOffset(), count), v.toOffset(), count);
    }

    @Override
    public void close() {
        gemm.close();
        kernels.close();
        memory.close();
    }

    @Override
    public String toString() {
        return "CpuBackend[" + device.name() + "]";
    }
}
