package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The CPU's neural-network kernels: softmax and cross-entropy, im2col/col2im, pooling,
 * layer and batch normalisation, embedding gather/scatter, dropout, causal masking. Rows go
 * through {@link Lanes} where a row is a contiguous run; statistics accumulate in double
 * precision. See {@link io.zbmd.gpu.Backend} for each kernel's contract.
 *
 * <p>Stateless and thread-safe. Kernels over rows, channels or planes split them over the
 * backend's threads, each wholly computed by one thread. Arguments are checked by the
 * caller ({@link io.zbmd.gpu.cpu.CpuBackend}).
 */
public final class CpuNn {
    private final Lanes lanes;
    /** Whose threads batch norm and pooling split their channels and planes over. */
    private final CpuKernels kernels;

    private CpuNn(CpuKernels kernels) {
        this.lanes = kernels.lanes();
        this.kernels = kernels;
    }

    /**
     * @param kernels the element-wise kernels whose contiguous runs these use
     * @return the neural-network kernels
     */
    public static CpuNn create(CpuKernels kernels) {
        return new CpuNn(kernels);
    }

    // ------------------------------------------------------------------ softmax, cross-entropy

    // Softmax, cross-entropy and layer normalisation give each row wholly to one thread (and
    // layer norm's parameter gradients each column), so that the bits do not depend on the
    // thread count.

    public void softmax(int rows, int cols, boolean log, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        kernels.forEach(rows, cols, (first, end) -> {
            for (int r = first; r < end; r++) {
                long xi = xOffset + (long) r * cols;
                long yi = yOffset + (long) r * cols;
                float max = lanes.max(x, xi, cols);
                lanes.zipScalar(BinaryOp.SUB, x, xi, max, false, y, yi, cols);
                if (log) {
                    double sum = 0;
                    for (int c = 0; c < cols; c++) {
                        sum += Math.exp(y.getAtIndex(JAVA_FLOAT, yi + c));
                    }
                    lanes.zipScalar(BinaryOp.SUB, y, yi, (float) Math.log(sum), false, y, yi, cols);
                } else {
                    lanes.map(UnaryOp.EXP, y, yi, y, yi, cols);
                    lanes.scale((float) (1.0 / lanes.sum(y, yi, cols)), y, yi, cols);
                }
            }
        }, x, y);
    }

    public void softmaxBackward(int rows, int cols, boolean log, MemorySegment y, long yOffset, MemorySegment dy,
            long dyOffset, MemorySegment dx, long dxOffset) {
        kernels.forEach(rows, cols, (first, end) -> {
            for (int r = first; r < end; r++) {
                long yi = yOffset + (long) r * cols;
                long dyi = dyOffset + (long) r * cols;
                long dxi = dxOffset + (long) r * cols;
                if (log) {
                    double sumDy = lanes.sum(dy, dyi, cols);
                    for (int c = 0; c < cols; c++) {
                        float g = dy.getAtIndex(JAVA_FLOAT, dyi + c)
                                - (float) (Math.exp(y.getAtIndex(JAVA_FLOAT, yi + c)) * sumDy);
                        dx.setAtIndex(JAVA_FLOAT, dxi + c, dx.getAtIndex(JAVA_FLOAT, dxi + c) + g);
                    }
                } else {
                    float dot = (float) lanes.dotCentered(dy, dyi, y, yi, 0f, cols);
                    for (int c = 0; c < cols; c++) {
                        float yv = y.getAtIndex(JAVA_FLOAT, yi + c);
                        float g = yv * (dy.getAtIndex(JAVA_FLOAT, dyi + c) - dot);
                        dx.setAtIndex(JAVA_FLOAT, dxi + c, dx.getAtIndex(JAVA_FLOAT, dxi + c) + g);
                    }
                }
            }
        }, y, dy, dx);
    }

    public void crossEntropy(int rows, int cols, float smoothing, MemorySegment logits, long logitsOffset,
            MemorySegment labels, long labelsOffset, MemorySegment loss, long lossOffset, MemorySegment grad,
            long gradOffset, float scale) {
        for (int r = 0; r < rows; r++) {
            int label = labels.getAtIndex(JAVA_INT, labelsOffset + r);
            if (label < 0 || label >= cols) {
                throw new IllegalArgumentException("label " + label + " in row " + r + " is outside the " + cols
                        + " classes");
            }
        }
        float offTarget = smoothing / cols;
        float onTarget = 1f - smoothing + offTarget;
        kernels.forEach(rows, cols, (first, end) -> {
            // e^(logit - max) of a row: in the gradient's row when there is one, else here
            MemorySegment scratch = grad != null ? grad : MemorySegment.ofArray(new float[cols]);
            for (int r = first; r < end; r++) {
                long xi = logitsOffset + (long) r * cols;
                long ei = grad != null ? gradOffset + (long) r * cols : 0;
                int label = labels.getAtIndex(JAVA_INT, labelsOffset + r);
                float max = lanes.max(logits, xi, cols);
                lanes.zipScalar(BinaryOp.SUB, logits, xi, max, false, scratch, ei, cols);
                lanes.map(UnaryOp.EXP, scratch, ei, scratch, ei, cols);
                double sumExp = lanes.sum(scratch, ei, cols);
                double logSumExp = max + Math.log(sumExp);
                double target = (1f - smoothing) * logits.getAtIndex(JAVA_FLOAT, xi + label)
                        + offTarget * lanes.sum(logits, xi, cols);
                loss.setAtIndex(JAVA_FLOAT, lossOffset + r, (float) (logSumExp - target));
                if (grad != null) { // scale · (softmax - target distribution)
                    lanes.scale((float) (1.0 / sumExp), grad, ei, cols);
                    float atLabel = grad.getAtIndex(JAVA_FLOAT, ei + label);
                    lanes.zipScalar(BinaryOp.SUB, grad, ei, offTarget, false, grad, ei, cols);
                    grad.setAtIndex(JAVA_FLOAT, ei + label, atLabel - onTarget);
                    lanes.scale(scale, grad, ei, cols);
                }
            }
        }, grad != null ? new MemorySegment[] {logits, labels, loss, grad}
                : new MemorySegment[] {logits, labels, loss});
    }

    // ------------------------------------------------------------------ convolution by im2col

    public void im2col(ConvGeometry g, MemorySegment image, long imageOffset, MemorySegment columns, long columnsOffset,
            long columnsRowStride) {
        int height = g.height();
        int width = g.width();
        int plane = height * width;
        int outH = g.outHeight();
        int outW = g.outWidth();
        int spatial = outH * outW;
        int imageSize = g.channels() * plane;
        int columnsSize = g.columnRows() * spatial;
        float[] img = Scratch.floats(0, imageSize);
        float[] cols = Scratch.floats(1, columnsSize);
        MemorySegment.copy(image, JAVA_FLOAT, imageOffset * Float.BYTES, img, 0, imageSize);
        if (g.strideHeight() == 1 && g.strideWidth() == 1 && outW == width) {
            im2colSameWidth(g, img, cols);
            copyRows(cols, columns, columnsOffset, columnsRowStride, g.columnRows(), spatial, true);
            return;
        }
        int row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    // Output columns whose input column iw = ow·stride − pad + kw lies inside the image.
                    int first = Math.min(outW, ceilDiv(Math.max(0, g.padWidth() - kw), g.strideWidth()));
                    int end = Math.max(first, Math.min(outW, ceilDiv(width + g.padWidth() - kw, g.strideWidth())));
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        int target = row * spatial + oh * outW;
                        if (ih < 0 || ih >= height) {
                            Arrays.fill(cols, target, target + outW, 0f);
                            continue;
                        }
                        Arrays.fill(cols, target, target + first, 0f);
                        int source = c * plane + ih * width - g.padWidth() + kw;
                        if (g.strideWidth() == 1) {
                            System.arraycopy(img, source + first, cols, target + first, end - first);
                        } else {
                            for (int ow = first; ow < end; ow++) {
                                cols[target + ow] = img[source + ow * g.strideWidth()];
                            }
                        }
                        Arrays.fill(cols, target + end, target + outW, 0f);
                    }
                }
            }
        }
        copyRows(cols, columns, columnsOffset, columnsRowStride, g.columnRows(), spatial, true);
    }

    /**
     * im2col at stride 1 when the output is as wide as the input (a "same" convolution, such
     * as 3×3 with padding 1): then a column row is the input plane shifted by a constant
     * offset, so each row is one copy of its valid span, after which the entries that wrapped
     * around a row edge and the rows outside the image are cleared. The same values as the
     * general loop, in far fewer (and longer) copies.
     */
    private static void im2colSameWidth(ConvGeometry g, float[] img, float[] cols) {
        int height = g.height();
        int width = g.width();
        int plane = height * width;
        int outH = g.outHeight();
        int spatial = outH * width;
        int row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                // output rows whose input row ih = oh − pad + kh lies inside the image
                int ohFirst = Math.min(outH, Math.max(0, g.padHeight() - kh));
                int ohEnd = Math.max(ohFirst, Math.min(outH, height + g.padHeight() - kh));
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    int target = row * spatial;
                    int shift = kw - g.padWidth(); // iw = ow + shift
                    int first = Math.min(width, Math.max(0, -shift));
                    int end = Math.max(first, Math.min(width, width - shift));
                    if (ohFirst == ohEnd || first == end) {
                        Arrays.fill(cols, target, target + spatial, 0f);
                        continue;
                    }
                    Arrays.fill(cols, target, target + ohFirst * width, 0f);
                    int from = ohFirst * width + first;
                    int to = (ohEnd - 1) * width + end;
                    int source = c * plane + (ohFirst - g.padHeight() + kh) * width + first + shift;
                    System.arraycopy(img, source, cols, target + from, to - from);
                    for (int oh = ohFirst; oh < ohEnd; oh++) {
                        int at = target + oh * width;
                        Arrays.fill(cols, at, at + first, 0f);
                        Arrays.fill(cols, at + end, at + width, 0f);
                    }
                    Arrays.fill(cols, target + ohEnd * width, target + spatial, 0f);
                }
            }
        }
    }

    /**
     * {@link #im2col} of {@code images} images side by side (image {@code i} at
     * {@code imageOffset + i·c·h·w}, its columns from {@code columnsOffset + i·outH·outW}),
     * the images spread over the threads; each image's columns are one thread's.
     */
    public void im2col(ConvGeometry g, int images, MemorySegment image, long imageOffset, MemorySegment columns,
            long columnsOffset, long columnsRowStride) {
        long imageSize = (long) g.channels() * g.height() * g.width();
        long spatial = (long) g.outHeight() * g.outWidth();
        kernels.forEach(images, g.columnRows() * spatial, (first, end) -> {
            for (int i = first; i < end; i++) {
                im2col(g, image, imageOffset + i * imageSize, columns, columnsOffset + i * spatial, columnsRowStride);
            }
        }, image, columns);
    }

    /** {@link #col2im} of a batch laid out as in {@link #im2col(ConvGeometry, int, MemorySegment, long, MemorySegment, long, long)}. */
    public void col2im(ConvGeometry g, int images, MemorySegment columns, long columnsOffset, long columnsRowStride,
            MemorySegment image, long imageOffset) {
        long imageSize = (long) g.channels() * g.height() * g.width();
        long spatial = (long) g.outHeight() * g.outWidth();
        kernels.forEach(images, g.columnRows() * spatial, (first, end) -> {
            for (int i = first; i < end; i++) {
                col2im(g, columns, columnsOffset + i * spatial, columnsRowStride, image, imageOffset + i * imageSize);
            }
        }, columns, image);
    }

    /** Copies a dense {@code rows × length} array to or from rows {@code rowStride} apart in a segment. */
    private static void copyRows(float[] dense, MemorySegment strided, long offset, long rowStride, int rows, int length,
            boolean toSegment) {
        if (rowStride == length) {
            if (toSegment) {
                MemorySegment.copy(dense, 0, strided, JAVA_FLOAT, offset * Float.BYTES, rows * length);
            } else {
                MemorySegment.copy(strided, JAVA_FLOAT, offset * Float.BYTES, dense, 0, rows * length);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            long at = (offset + r * rowStride) * Float.BYTES;
            if (toSegment) {
                MemorySegment.copy(dense, r * length, strided, JAVA_FLOAT, at, length);
            } else {
                MemorySegment.copy(strided, JAVA_FLOAT, at, dense, r * length, length);
            }
        }
    }

    public void col2im(ConvGeometry g, MemorySegment columns, long columnsOffset, long columnsRowStride,
            MemorySegment image, long imageOffset) {
        int height = g.height();
        int width = g.width();
        int plane = height * width;
        int outH = g.outHeight();
        int outW = g.outWidth();
        int spatial = outH * outW;
        int imageSize = g.channels() * plane;
        int columnsSize = g.columnRows() * spatial;
        float[] img = Scratch.floats(0, imageSize);
        float[] cols = Scratch.floats(1, columnsSize);
        Arrays.fill(img, 0, imageSize, 0f);
        copyRows(cols, columns, columnsOffset, columnsRowStride, g.columnRows(), spatial, false);
        int row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    int first = Math.min(outW, ceilDiv(Math.max(0, g.padWidth() - kw), g.strideWidth()));
                    int end = Math.max(first, Math.min(outW, ceilDiv(width + g.padWidth() - kw, g.strideWidth())));
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        if (ih < 0 || ih >= height) {
                            continue;
                        }
                        int source = row * spatial + oh * outW;
                        int target = c * plane + ih * width - g.padWidth() + kw;
                        if (g.strideWidth() == 1) {
                            // a loop the JIT vectorises: the same additions, element by element
                            for (int ow = first; ow < end; ow++) {
                                img[target + ow] += cols[source + ow];
                            }
                        } else {
                            for (int ow = first; ow < end; ow++) {
                                img[target + ow * g.strideWidth()] += cols[source + ow];
                            }
                        }
                    }
                }
            }
        }
        MemorySegment.copy(img, 0, image, JAVA_FLOAT, imageOffset * Float.BYTES, imageSize);
    }

    private static int ceilDiv(int a, int b) {
        return Math.ceilDiv(a, b);
    }

    // ------------------------------------------------------------------ pooling

    public void pool2d(PoolGeometry g, boolean max, int planes, MemorySegment x, long xOffset, MemorySegment y,
            long yOffset, MemorySegment argmax) {
        int height = g.height();
        int width = g.width();
        int outH = g.outHeight();
        int outW = g.outWidth();
        int plane = height * width;
        int outPlane = outH * outW;
        boolean pairs = g.kernelHeight() == 2 && g.kernelWidth() == 2 && g.strideHeight() == 2
                && g.strideWidth() == 2 && g.padHeight() == 0 && g.padWidth() == 0;
        int[] corners = pairs && max ? windowCorners(width, outH, outW) : null;
        kernels.forEach(planes, plane, (first, end) -> {
            float[] in = Scratch.floats(0, plane);
            float[] out = Scratch.floats(1, outPlane);
            int[] best = Scratch.ints(outPlane);
            for (int p = first; p < end; p++) {
                MemorySegment.copy(x, JAVA_FLOAT, (xOffset + (long) p * plane) * Float.BYTES, in, 0, plane);
                if (corners != null) {
                    lanes.maxPool2x2(in, width, corners, out, best, outPlane);
                } else if (pairs) {
                    avgPool2x2(in, width, outH, outW, out);
                } else {
                    poolWindows(g, max, in, out, best);
                }
                MemorySegment.copy(out, 0, y, JAVA_FLOAT, (yOffset + (long) p * outPlane) * Float.BYTES, outPlane);
                if (max && argmax != null) {
                    MemorySegment.copy(best, 0, argmax, JAVA_INT, (long) p * outPlane * Integer.BYTES, outPlane);
                }
            }
        }, x, y, argmax);
    }

    /** @return for each output of a 2×2, stride-2 pooling, the index of its window's top-left input */
    private static int[] windowCorners(int width, int outH, int outW) {
        int[] corners = new int[outH * outW];
        for (int oh = 0; oh < outH; oh++) {
            for (int ow = 0; ow < outW; ow++) {
                corners[oh * outW + ow] = 2 * oh * width + 2 * ow;
            }
        }
        return corners;
    }

    /** The common 2×2, stride 2 average pooling in straight-line code. */
    private static void avgPool2x2(float[] in, int width, int outH, int outW, float[] out) {
        for (int oh = 0; oh < outH; oh++) {
            int row = 2 * oh * width;
            int o = oh * outW;
            for (int ow = 0; ow < outW; ow++) {
                int i0 = row + 2 * ow;
                int i2 = i0 + width;
                out[o + ow] = (in[i0] + in[i0 + 1] + in[i2] + in[i2 + 1]) / 4f;
            }
        }
    }

    private static void poolWindows(PoolGeometry g, boolean max, float[] in, float[] out, int[] best) {
        int height = g.height();
        int width = g.width();
        int outH = g.outHeight();
        int outW = g.outWidth();
        float area = g.kernelHeight() * g.kernelWidth();
        for (int oh = 0; oh < outH; oh++) {
            for (int ow = 0; ow < outW; ow++) {
                float top = Float.NEGATIVE_INFINITY;
                int topIndex = -1;
                float sum = 0;
                for (int kh = 0; kh < g.kernelHeight(); kh++) {
                    int ih = oh * g.strideHeight() - g.padHeight() + kh;
                    if (ih < 0 || ih >= height) {
                        continue;
                    }
                    for (int kw = 0; kw < g.kernelWidth(); kw++) {
                        int iw = ow * g.strideWidth() - g.padWidth() + kw;
                        if (iw < 0 || iw >= width) {
                            continue;
                        }
                        int index = ih * width + iw;
                        float v = in[index];
                        sum += v;
                        if (v > top || topIndex < 0) {
                            top = v;
                            topIndex = index;
                        }
                    }
                }
                int o = oh * outW + ow;
                out[o] = max ? top : sum / area;
                best[o] = topIndex;
            }
        }
    }

    public void pool2dBackward(PoolGeometry g, boolean max, int planes, MemorySegment dy, long dyOffset,
            MemorySegment argmax, MemorySegment dx, long dxOffset) {
        int height = g.height();
        int width = g.width();
        int outH = g.outHeight();
        int outW = g.outWidth();
        int plane = height * width;
        int outPlane = outH * outW;
        float area = g.kernelHeight() * g.kernelWidth();
        kernels.forEach(planes, plane, (first, end) -> {
            float[] grad = Scratch.floats(0, plane);
            float[] upstream = Scratch.floats(1, outPlane);
            int[] best = Scratch.ints(outPlane);
            for (int p = first; p < end; p++) {
                long dxPlane = (dxOffset + (long) p * plane) * Float.BYTES;
                Arrays.fill(grad, 0, plane, 0f);
                MemorySegment.copy(dy, JAVA_FLOAT, (dyOffset + (long) p * outPlane) * Float.BYTES, upstream, 0, outPlane);
                if (max) {
                    MemorySegment.copy(argmax, JAVA_INT, (long) p * outPlane * Integer.BYTES, best, 0, outPlane);
                    for (int o = 0; o < outPlane; o++) {
                        grad[best[o]] += upstream[o];
                    }
                } else {
                    for (int oh = 0; oh < outH; oh++) {
                        for (int ow = 0; ow < outW; ow++) {
                            float share = upstream[oh * outW + ow] / area;
                            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                                int ih = oh * g.strideHeight() - g.padHeight() + kh;
                                if (ih < 0 || ih >= height) {
                                    continue;
                                }
                                for (int kw = 0; kw < g.kernelWidth(); kw++) {
                                    int iw = ow * g.strideWidth() - g.padWidth() + kw;
                                    if (iw >= 0 && iw < width) {
                                        grad[ih * width + iw] += share;
                                    }
                                }
                            }
                        }
                    }
                }
                MemorySegment.copy(grad, 0, dx, JAVA_FLOAT, dxPlane, plane);
            }
        }, dy, argmax, dx);
    }

    // ------------------------------------------------------------------ normalisation

    public void layerNorm(int rows, int cols, float eps, MemorySegment x, long xOffset, MemorySegment gamma,
            MemorySegment beta, MemorySegment y, long yOffset, MemorySegment mean, MemorySegment rstd) {
        kernels.forEach(rows, cols, (first, end) -> {
            for (int r = first; r < end; r++) {
                long xi = xOffset + (long) r * cols;
                long yi = yOffset + (long) r * cols;
                float mu = (float) (lanes.sum(x, xi, cols) / cols);
                double variance = lanes.sumOfSquaredDeviations(x, xi, mu, cols);
                float inv = (float) (1.0 / Math.sqrt(variance / cols + eps));
                mean.setAtIndex(JAVA_FLOAT, r, mu);
                rstd.setAtIndex(JAVA_FLOAT, r, inv);
                for (int c = 0; c < cols; c++) {
                    float normalised = (x.getAtIndex(JAVA_FLOAT, xi + c) - mu) * inv;
                    y.setAtIndex(JAVA_FLOAT, yi + c,
                            normalised * gamma.getAtIndex(JAVA_FLOAT, c) + beta.getAtIndex(JAVA_FLOAT, c));
                }
            }
        }, x, gamma, beta, y, mean, rstd);
    }

    public void layerNormBackward(int rows, int cols, MemorySegment dy, long dyOffset, MemorySegment x, long xOffset,
            MemorySegment mean, MemorySegment rstd, MemorySegment gamma, MemorySegment dx, long dxOffset,
            MemorySegment dgamma, MemorySegment dbeta) {
        kernels.forEach(rows, cols, (first, end) -> {
            for (int r = first; r < end; r++) {
                long xi = xOffset + (long) r * cols;
                long dyi = dyOffset + (long) r * cols;
                long dxi = dxOffset + (long) r * cols;
                float mu = mean.getAtIndex(JAVA_FLOAT, r);
                float inv = rstd.getAtIndex(JAVA_FLOAT, r);
                double sumG = 0;
                double sumGx = 0;
                for (int c = 0; c < cols; c++) {
                    float xhat = (x.getAtIndex(JAVA_FLOAT, xi + c) - mu) * inv;
                    float g = dy.getAtIndex(JAVA_FLOAT, dyi + c) * gamma.getAtIndex(JAVA_FLOAT, c);
                    sumG += g;
                    sumGx += g * xhat;
                }
                float meanG = (float) (sumG / cols);
                float meanGx = (float) (sumGx / cols);
                for (int c = 0; c < cols; c++) {
                    float xhat = (x.getAtIndex(JAVA_FLOAT, xi + c) - mu) * inv;
                    float g = dy.getAtIndex(JAVA_FLOAT, dyi + c) * gamma.getAtIndex(JAVA_FLOAT, c);
                    float value = inv * (g - meanG - xhat * meanGx);
                    dx.setAtIndex(JAVA_FLOAT, dxi + c, dx.getAtIndex(JAVA_FLOAT, dxi + c) + value);
                }
            }
        }, dy, x, mean, rstd, gamma, dx);
        // Each column's sums over the rows in row order, whatever the threads.
        kernels.forEach(cols, rows, (first, end) -> {
            for (int r = 0; r < rows; r++) {
                long xi = xOffset + (long) r * cols;
                long dyi = dyOffset + (long) r * cols;
                float mu = mean.getAtIndex(JAVA_FLOAT, r);
                float inv = rstd.getAtIndex(JAVA_FLOAT, r);
                for (int c = first; c < end; c++) {
                    float xhat = (x.getAtIndex(JAVA_FLOAT, xi + c) - mu) * inv;
                    float d = dy.getAtIndex(JAVA_FLOAT, dyi + c);
                    dgamma.setAtIndex(JAVA_FLOAT, c, dgamma.getAtIndex(JAVA_FLOAT, c) + d * xhat);
                    dbeta.setAtIndex(JAVA_FLOAT, c, dbeta.getAtIndex(JAVA_FLOAT, c) + d);
                }
            }
        }, dy, x, mean, rstd, dgamma, dbeta);
    }

    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps, MemorySegment x,
            long xOffset, MemorySegment gamma, MemorySegment beta, MemorySegment runningMean,
            MemorySegment runningVar, MemorySegment y, long yOffset, MemorySegment mean, MemorySegment rstd) {
        long count = (long) n * spatial;
        // Each channel's statistics and normalisation are one thread's, as on one thread.
        kernels.forEach(channels, count, (first, end) -> {
            for (int c = first; c < end; c++) {
                float mu;
                float inv;
                if (training) {
                    double sum = 0;
                    for (int b = 0; b < n; b++) {
                        sum += lanes.sum(x, xOffset + ((long) b * channels + c) * spatial, spatial);
                    }
                    mu = (float) (sum / count);
                    double squares = 0;
                    for (int b = 0; b < n; b++) {
                        squares += lanes.sumOfSquaredDeviations(x, xOffset + ((long) b * channels + c) * spatial, mu,
                                spatial);
                    }
                    double biased = squares / count;
                    double unbiased = count > 1 ? squares / (count - 1) : biased;
                    inv = (float) (1.0 / Math.sqrt(biased + eps));
                    runningMean.setAtIndex(JAVA_FLOAT, c,
                            (1 - momentum) * runningMean.getAtIndex(JAVA_FLOAT, c) + momentum * mu);
                    runningVar.setAtIndex(JAVA_FLOAT, c,
                            (1 - momentum) * runningVar.getAtIndex(JAVA_FLOAT, c) + momentum * (float) unbiased);
                    mean.setAtIndex(JAVA_FLOAT, c, mu);
                    rstd.setAtIndex(JAVA_FLOAT, c, inv);
                } else {
                    mu = runningMean.getAtIndex(JAVA_FLOAT, c);
                    inv = (float) (1.0 / Math.sqrt(runningVar.getAtIndex(JAVA_FLOAT, c) + eps));
                }
                float scale = inv * gamma.getAtIndex(JAVA_FLOAT, c);
                float shift = beta.getAtIndex(JAVA_FLOAT, c);
                for (int b = 0; b < n; b++) {
                    long block = ((long) b * channels + c) * spatial;
                    lanes.normalize(x, xOffset + block, mu, scale, shift, y, yOffset + block, spatial);
                }
            }
        }, x, gamma, beta, runningMean, runningVar, y, mean, rstd);
    }

    public void batchNormBackward(int n, int channels, int spatial, MemorySegment dy, long dyOffset, MemorySegment x,
            long xOffset, MemorySegment mean, MemorySegment rstd, MemorySegment gamma, MemorySegment dx,
            long dxOffset, MemorySegment dgamma, MemorySegment dbeta) {
        long count = (long) n * spatial;
        kernels.forEach(channels, count, (first, end) -> {
            for (int c = first; c < end; c++) {
                float mu = mean.getAtIndex(JAVA_FLOAT, c);
                float inv = rstd.getAtIndex(JAVA_FLOAT, c);
                double sumDy = 0;
                double sumDyCentered = 0;
                for (int b = 0; b < n; b++) {
                    long block = ((long) b * channels + c) * spatial;
                    sumDy += lanes.sum(dy, dyOffset + block, spatial);
                    sumDyCentered += lanes.dotCentered(dy, dyOffset + block, x, xOffset + block, mu, spatial);
                }
                double sumDyXhat = sumDyCentered * inv;
                dgamma.setAtIndex(JAVA_FLOAT, c, dgamma.getAtIndex(JAVA_FLOAT, c) + (float) sumDyXhat);
                dbeta.setAtIndex(JAVA_FLOAT, c, dbeta.getAtIndex(JAVA_FLOAT, c) + (float) sumDy);
                // dx = k · (count·dy − Σdy − x̂·Σ(dy·x̂)), x̂ = (x − μ)·inv, k = γ·inv / count
                double k = gamma.getAtIndex(JAVA_FLOAT, c) * (double) inv / count;
                float alpha = (float) (k * count);
                float beta = (float) (-k * sumDyXhat * inv);
                float constant = (float) (-k * sumDy);
                for (int b = 0; b < n; b++) {
                    long block = ((long) b * channels + c) * spatial;
                    lanes.accumulateCombination(alpha, dy, dyOffset + block, beta, x, xOffset + block, mu, constant, dx,
                            dxOffset + block, spatial);
                }
            }
        }, dy, x, mean, rstd, gamma, dx, dgamma, dbeta);
    }

    // ------------------------------------------------------------------ embedding, dropout, masking

    public void gather(int count, int dim, MemorySegment table, MemorySegment indices, long indicesOffset,
            MemorySegment out, long outOffset) {
        long rows = table.byteSize() / Float.BYTES / dim;
        for (int i = 0; i < count; i++) {
            int row = indices.getAtIndex(JAVA_INT, indicesOffset + i);
            if (row < 0 || row >= rows) {
                throw new IllegalArgumentException("embedding index " + row + " at position " + i
                        + " is outside the table of " + rows + " rows");
            }
            MemorySegment.copy(table, (long) row * dim * Float.BYTES, out, (outOffset + (long) i * dim) * Float.BYTES,
                    (long) dim * Float.BYTES);
        }
    }

    public void scatterAdd(int count, int dim, MemorySegment dout, long doutOffset, MemorySegment indices,
            long indicesOffset, MemorySegment dtable) {
        for (int i = 0; i < count; i++) {
            int row = indices.getAtIndex(JAVA_INT, indicesOffset + i);
            lanes.axpy(1f, dout, doutOffset + (long) i * dim, dtable, (long) row * dim, dim);
        }
    }

    public void dropout(long count, float p, long seed, MemorySegment x, long xOffset, MemorySegment y, long yOffset,
            MemorySegment mask) {
        float keepScale = 1f / (1f - p);
        // uniform(seed, i) >= p, in integers: the draw is u·2^-24 for a 24-bit u, exact in a
        // float, so it is at least p exactly when u is at least p·2^24 rounded up.
        long keepFrom = (long) Math.ceil(p * 0x1p24);
        // Each element's draw depends on its index alone, so any split gives the same mask.
        // Blocks go through heap scratch, and the choice is made with bit masks, not branches,
        // which mispredict on a quarter of the elements at p = 0.25.
        kernels.split(count, (from, to) -> {
            float[] values = Scratch.floats(0, DROPOUT_BLOCK);
            float[] kept = Scratch.floats(1, DROPOUT_BLOCK);
            for (long start = from; start < to; start += DROPOUT_BLOCK) {
                int length = (int) Math.min(DROPOUT_BLOCK, to - start);
                MemorySegment.copy(x, JAVA_FLOAT, (xOffset + start) * Float.BYTES, values, 0, length);
                for (int j = 0; j < length; j++) {
                    int keep = (int) ((keepFrom - 1 - draw24(seed, start + j)) >>> 63); // 1 when kept
                    kept[j] = keep;
                    values[j] = Float.intBitsToFloat(Float.floatToRawIntBits(values[j] * keepScale) & -keep);
                }
                MemorySegment.copy(values, 0, y, JAVA_FLOAT, (yOffset + start) * Float.BYTES, length);
                MemorySegment.copy(kept, 0, mask, JAVA_FLOAT, start * Float.BYTES, length);
            }
        }, x, y, mask);
    }

    /** Elements of dropout per scratch block. */
    private static final int DROPOUT_BLOCK = 4096;

    /** A uniform [0, 1) draw for element {@code i}: SplitMix64 of (seed, i), counter-based. */
    static float uniform(long seed, long i) {
        return draw24(seed, i) * 0x1.0p-24f;
    }

    /** The 24 bits of {@link #uniform}'s draw, as an integer in [0, 2^24). */
    private static long draw24(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return z >>> 40;
    }

    public void causalMask(int batch, int rows, int cols, MemorySegment x, long xOffset) {
        int shift = cols - rows;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < rows; i++) {
                long row = xOffset + ((long) b * rows + i) * cols;
                for (int j = Math.max(0, i + shift + 1); j < cols; j++) {
                    x.setAtIndex(JAVA_FLOAT, row + j, Float.NEGATIVE_INFINITY);
                }
            }
        }
    }
}
