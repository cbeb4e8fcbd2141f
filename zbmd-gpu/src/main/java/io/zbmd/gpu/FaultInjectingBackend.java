package io.zbmd.gpu;

import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.gpu.memory.MemoryPool;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend that fails on purpose: before every allocation, copy and kernel it draws from a
 * seeded generator and may throw a {@link DeviceException} (a device error) or a
 * {@link DeviceOutOfMemoryException}, then delegates to the real backend. For testing that
 * training survives its device: a supervised kernel actor retries device errors and halves
 * the micro-batch on out-of-memory.
 *
 * <p>Injected faults are counted and their messages say "injected", so tests can tell them
 * from real ones. Thread-safe (the generator is used under a lock).
 */
public final class FaultInjectingBackend implements Backend {
    private final Backend delegate;
    private final double deviceErrorRate;
    private final double outOfMemoryRate;
    private final SplittableRandom random;
    private final AtomicLong deviceErrors = new AtomicLong();
    private final AtomicLong outOfMemory = new AtomicLong();
    private volatile boolean armed = true;

    /**
     * @param delegate the real backend
     * @param seed drives every decision
     * @param deviceErrorRate probability per call of a device error, 0 to 1
     * @param outOfMemoryRate probability per call of an out-of-memory, 0 to 1
     */
    public FaultInjectingBackend(Backend delegate, long seed, double deviceErrorRate, double outOfMemoryRate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
        if (!(deviceErrorRate >= 0 && deviceErrorRate <= 1) || !(outOfMemoryRate >= 0 && outOfMemoryRate <= 1)) {
            throw new IllegalArgumentException("fault rates must be between 0 and 1, got device=" + deviceErrorRate
                    + " oom=" + outOfMemoryRate);
        }
        this.deviceErrorRate = deviceErrorRate;
        this.outOfMemoryRate = outOfMemoryRate;
        this.random = new SplittableRandom(seed);
    }

    /** @return the backend it wraps */
    public Backend delegate() {
        return delegate;
    }

    /** @return device errors injected so far */
    public long injectedDeviceErrors() {
        return deviceErrors.get();
    }

    /** @return out-of-memory errors injected so far */
    public long injectedOutOfMemory() {
        return outOfMemory.get();
    }

    /**
     * Turns the faults on or off (on from the start), e.g. off while a model is built and
     * evaluated, on while it trains. Off, no numbers are drawn.
     *
     * @param value whether to inject
     * @return this backend
     */
    public FaultInjectingBackend armed(boolean value) {
        armed = value;
        return this;
    }

    private void maybeFail(String operation) {
        if (!armed) {
            return;
        }
        double draw;
        synchronized (random) {
            draw = random.nextDouble();
        }
        if (draw < deviceErrorRate) {
            deviceErrors.incrementAndGet();
            throw new DeviceException("injected device error in " + operation + " on " + delegate.device().name());
        }
        if (draw < deviceErrorRate + outOfMemoryRate) {
            outOfMemory.incrementAndGet();
            MemoryPool pool = delegate.memory();
            throw new DeviceOutOfMemoryException("injected out-of-memory in " + operation + " on pool '" + pool.name()
                    + "'", 0, pool.bytesInUse(), pool.budgetBytes());
        }
    }

    @Override
    public Device device() {
        return delegate.device();
    }

    @Override
    public MemoryPool memory() {
        return delegate.memory();
    }

    @Override
    public DeviceBuffer allocate(long floats) {
        maybeFail("allocate");
        return delegate.allocate(floats);
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        maybeFail("upload");
        delegate.upload(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void uploadInts(int[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        maybeFail("uploadInts");
        delegate.uploadInts(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        maybeFail("download");
        delegate.download(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void downloadInts(DeviceBuffer src, long srcOffset, int[] dst, int dstOffset, int count) {
        maybeFail("downloadInts");
        delegate.downloadInts(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void copy(int[] shape, DeviceBuffer src, long srcOffset, long[] srcStrides, DeviceBuffer dst, long dstOffset, long[] dstStrides) {
        maybeFail("copy");
        delegate.copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides);
    }

    @Override
    public void fill(DeviceBuffer x, long offset, long count, float value) {
        maybeFail("fill");
        delegate.fill(x, offset, count, value);
    }

    @Override
    public void convert(DType from, DeviceBuffer src, long srcOffset, DType to, DeviceBuffer dst, long dstOffset, long count) {
        maybeFail("convert");
        delegate.convert(from, src, srcOffset, to, dst, dstOffset, count);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, long aOffset, int lda, DeviceBuffer b, long bOffset, int ldb, float beta, DeviceBuffer c, long cOffset, int ldc) {
        maybeFail("sgemm");
        delegate.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    @Override
    public void axpy(long count, float alpha, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        maybeFail("axpy");
        delegate.axpy(count, alpha, x, xOffset, y, yOffset);
    }

    @Override
    public void scale(long count, float alpha, DeviceBuffer x, long xOffset) {
        maybeFail("scale");
        delegate.scale(count, alpha, x, xOffset);
    }

    @Override
    public double sumOfSquares(long count, DeviceBuffer x, long xOffset) {
        maybeFail("sumOfSquares");
        return delegate.sumOfSquares(count, x, xOffset);
    }

    @Override
    public void unary(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        maybeFail("unary");
        delegate.unary(op, count, x, xOffset, y, yOffset);
    }

    @Override
    public void unaryBackward(UnaryOp op, long count, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset) {
        maybeFail("unaryBackward");
        delegate.unaryBackward(op, count, x, xOffset, y, yOffset, dy, dyOffset, dx, dxOffset);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, DeviceBuffer a, long aOffset, long[] aStrides, DeviceBuffer b, long bOffset, long[] bStrides, DeviceBuffer out, long outOffset, long[] outStrides) {
        maybeFail("binary");
        delegate.binary(op, shape, a, aOffset, aStrides, b, bOffset, bStrides, out, outOffset, outStrides);
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, DeviceBuffer x, long xOffset, long[] xStrides, DeviceBuffer out, long outOffset, long[] outStrides, boolean accumulate, DeviceBuffer argmax) {
        maybeFail("reduce");
        delegate.reduce(op, shape, x, xOffset, xStrides, out, outOffset, outStrides, accumulate, argmax);
    }

    @Override
    public void argmaxRows(int rows, int cols, DeviceBuffer x, long xOffset, DeviceBuffer out, long outOffset) {
        maybeFail("argmaxRows");
        delegate.argmaxRows(rows, cols, x, xOffset, out, outOffset);
    }

    @Override
    public void softmax(int rows, int cols, boolean log, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset) {
        maybeFail("softmax");
        delegate.softmax(rows, cols, log, x, xOffset, y, yOffset);
    }

    @Override
    public void softmaxBackward(int rows, int cols, boolean log, DeviceBuffer y, long yOffset, DeviceBuffer dy, long dyOffset, DeviceBuffer dx, long dxOffset) {
        maybeFail("softmaxBackward");
        delegate.softmaxBackward(rows, cols, log, y, yOffset, dy, dyOffset, dx, dxOffset);
    }

    @Override
    public void crossEntropy(int rows, int cols, float smoothing, DeviceBuffer logits, long logitsOffset, DeviceBuffer labels, long labelsOffset, DeviceBuffer lossPerRow, long lossOffset, DeviceBuffer grad, long gradOffset, float scale) {
        maybeFail("crossEntropy");
        delegate.crossEntropy(rows, cols, smoothing, logits, logitsOffset, labels, labelsOffset, lossPerRow, lossOffset, grad, gradOffset, scale);
    }

    @Override
    public void im2col(ConvGeometry g, DeviceBuffer image, long imageOffset, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride) {
        maybeFail("im2col");
        delegate.im2col(g, image, imageOffset, columns, columnsOffset, columnsRowStride);
    }

    @Override
    public void col2im(ConvGeometry g, DeviceBuffer columns, long columnsOffset, long columnsRowStride,
            DeviceBuffer image, long imageOffset) {
        maybeFail("col2im");
        delegate.col2im(g, columns, columnsOffset, columnsRowStride, image, imageOffset);
    }

    @Override
    public void im2colImages(ConvGeometry g, int images, DeviceBuffer image, long imageOffset, DeviceBuffer columns,
            long columnsOffset, long columnsRowStride) {
        maybeFail("im2col");
        delegate.im2colImages(g, images, image, imageOffset, columns, columnsOffset, columnsRowStride);
    }

    @Override
    public void col2imImages(ConvGeometry g, int images, DeviceBuffer columns, long columnsOffset,
            long columnsRowStride, DeviceBuffer image, long imageOffset) {
        maybeFail("col2im");
        delegate.col2imImages(g, images, columns, columnsOffset, columnsRowStride, image, imageOffset);
    }

    @Override
    public void pool2d(PoolGeometry g, boolean max, int planes, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer argmax) {
        maybeFail("pool2d");
        delegate.pool2d(g, max, planes, x, xOffset, y, yOffset, argmax);
    }

    @Override
    public void pool2dBackward(PoolGeometry g, boolean max, int planes, DeviceBuffer dy, long dyOffset, DeviceBuffer argmax, DeviceBuffer dx, long dxOffset) {
        maybeFail("pool2dBackward");
        delegate.pool2dBackward(g, max, planes, dy, dyOffset, argmax, dx, dxOffset);
    }

    @Override
    public void layerNorm(int rows, int cols, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        maybeFail("layerNorm");
        delegate.layerNorm(rows, cols, eps, x, xOffset, gamma, beta, y, yOffset, mean, rstd);
    }

    @Override
    public void layerNormBackward(int rows, int cols, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset, DeviceBuffer dgamma, DeviceBuffer dbeta) {
        maybeFail("layerNormBackward");
        delegate.layerNormBackward(rows, cols, dy, dyOffset, x, xOffset, mean, rstd, gamma, dx, dxOffset, dgamma, dbeta);
    }

    @Override
    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps, DeviceBuffer x, long xOffset, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer runningMean, DeviceBuffer runningVar, DeviceBuffer y, long yOffset, DeviceBuffer mean, DeviceBuffer rstd) {
        maybeFail("batchNorm");
        delegate.batchNorm(n, channels, spatial, training, momentum, eps, x, xOffset, gamma, beta, runningMean, runningVar, y, yOffset, mean, rstd);
    }

    @Override
    public void batchNormBackward(int n, int channels, int spatial, DeviceBuffer dy, long dyOffset, DeviceBuffer x, long xOffset, DeviceBuffer mean, DeviceBuffer rstd, DeviceBuffer gamma, DeviceBuffer dx, long dxOffset, DeviceBuffer dgamma, DeviceBuffer dbeta) {
        maybeFail("batchNormBackward");
        delegate.batchNormBackward(n, channels, spatial, dy, dyOffset, x, xOffset, mean, rstd, gamma, dx, dxOffset, dgamma, dbeta);
    }

    @Override
    public void gather(int count, int dim, DeviceBuffer table, DeviceBuffer indices, long indicesOffset, DeviceBuffer out, long outOffset) {
        maybeFail("gather");
        delegate.gather(count, dim, table, indices, indicesOffset, out, outOffset);
    }

    @Override
    public void scatterAdd(int count, int dim, DeviceBuffer dout, long doutOffset, DeviceBuffer indices, long indicesOffset, DeviceBuffer dtable) {
        maybeFail("scatterAdd");
        delegate.scatterAdd(count, dim, dout, doutOffset, indices, indicesOffset, dtable);
    }

    @Override
    public void dropout(long count, float p, long seed, DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, DeviceBuffer mask) {
        maybeFail("dropout");
        delegate.dropout(count, p, seed, x, xOffset, y, yOffset, mask);
    }

    @Override
    public void causalMask(int batch, int rows, int cols, DeviceBuffer x, long xOffset) {
        maybeFail("causalMask");
        delegate.causalMask(batch, rows, cols, x, xOffset);
    }

    @Override
    public void sgdStep(long count, float lr, float momentum, float weightDecay, boolean nesterov, InOut param,
            DeviceBuffer grad, long gradOffset, InOut velocity) {
        maybeFail("sgdStep");
        delegate.sgdStep(count, lr, momentum, weightDecay, nesterov, param, grad, gradOffset, velocity);
    }

    @Override
    public void adamStep(long count, float lr, float beta1, float beta2, float eps, float weightDecay,
            boolean decoupled, long t, InOut param, DeviceBuffer grad, long gradOffset, InOut m, InOut v) {
        maybeFail("adamStep");
        delegate.adamStep(count, lr, beta1, beta2, eps, weightDecay, decoupled, t, param, grad, gradOffset, m, v);
    }

    /** Closes the real backend. */
    @Override
    public void close() {
        delegate.close();
    }
}
