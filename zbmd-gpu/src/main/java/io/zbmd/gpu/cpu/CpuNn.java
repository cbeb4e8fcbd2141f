package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.MemorySegment;

/**
 * The CPU's neural-network kernels: softmax and cross-entropy, im2col/col2im, pooling,
 * layer and batch normalisation, embedding gather/scatter, dropout, causal masking. Rows go
 * through {@link Lanes} where a row is a contiguous run; statistics accumulate in double
 * precision. See {@link io.zbmd.gpu.Backend} for each kernel's contract.
 *
 * <p>Stateless and thread-safe; single-threaded per call. Arguments are checked by the
 * caller ({@link io.zbmd.gpu.CpuBackend}).
 */
public final class CpuNn {
    private final Lanes lanes;

    private CpuNn(Lanes lanes) {
        this.lanes = lanes;
    }

    /**
     * @param kernels the element-wise kernels whose contiguous runs these use
     * @return the neural-network kernels
     */
    public static CpuNn create(CpuKernels kernels) {
        return new CpuNn(kernels.lanes());
    }

    // ------------------------------------------------------------------ softmax, cross-entropy

    public void softmax(int rows, int cols, boolean log, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        for (int r = 0; r < rows; r++) {
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
    }

    public void softmaxBackward(int rows, int cols, boolean log, MemorySegment y, long yOffset, MemorySegment dy,
            long dyOffset, MemorySegment dx, long dxOffset) {
        for (int r = 0; r < rows; r++) {
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
                double dot = 0;
                for (int c = 0; c < cols; c++) {
                    dot += (double) dy.getAtIndex(JAVA_FLOAT, dyi + c) * y.getAtIndex(JAVA_FLOAT, yi + c);
                }
                for (int c = 0; c < cols; c++) {
                    float yv = y.getAtIndex(JAVA_FLOAT, yi + c);
                    float g = yv * (dy.getAtIndex(JAVA_FLOAT, dyi + c) - (float) dot);
                    dx.setAtIndex(JAVA_FLOAT, dxi + c, dx.getAtIndex(JAVA_FLOAT, dxi + c) + g);
                }
            }
        }
    }

    public void crossEntropy(int rows, int cols, float smoothing, MemorySegment logits, long logitsOffset,
            MemorySegment labels, long labelsOffset, MemorySegment loss, long lossOffset, MemorySegment grad,
            long gradOffset, float scale) {
        float offTarget = smoothing / cols;
        float onTarget = 1f - smoothing + offTarget;
        for (int r = 0; r < rows; r++) {
            long xi = logitsOffset + (long) r * cols;
            int label = labels.getAtIndex(JAVA_INT, labelsOffset + r);
            if (label < 0 || label >= cols) {
                throw new IllegalArgumentException("label " + label + " in row " + r + " is outside the " + cols
                        + " classes");
            }
            float max = lanes.max(logits, xi, cols);
            double sumExp = 0;
            double sumLogits = 0;
            for (int c = 0; c < cols; c++) {
                float v = logits.getAtIndex(JAVA_FLOAT, xi + c);
                sumExp += Math.exp(v - max);
                sumLogits += v;
            }
            double logSumExp = max + Math.log(sumExp);
            double target = (1f - smoothing) * logits.getAtIndex(JAVA_FLOAT, xi + label) + offTarget * sumLogits;
            loss.setAtIndex(JAVA_FLOAT, lossOffset + r, (float) (logSumExp - target));
            if (grad != null) {
                long gi = gradOffset + (long) r * cols;
                for (int c = 0; c < cols; c++) {
                    float p = (float) Math.exp(logits.getAtIndex(JAVA_FLOAT, xi + c) - logSumExp);
                    grad.setAtIndex(JAVA_FLOAT, gi + c, scale * (p - (c == label ? onTarget : offTarget)));
                }
            }
        }
    }

    // ------------------------------------------------------------------ convolution by im2col

    public void im2col(ConvGeometry g, MemorySegment image, long imageOffset, MemorySegment columns, long columnsOffset) {
        int outH = g.outHeight();
        int outW = g.outWidth();
        long row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    long target = columnsOffset + row * outH * outW;
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        boolean rowInside = ih >= 0 && ih < g.height();
                        long source = imageOffset + ((long) c * g.height() + ih) * g.width();
                        for (int ow = 0; ow < outW; ow++) {
                            int iw = ow * g.strideWidth() - g.padWidth() + kw;
                            float v = rowInside && iw >= 0 && iw < g.width() ? image.getAtIndex(JAVA_FLOAT, source + iw) : 0f;
                            columns.setAtIndex(JAVA_FLOAT, target + (long) oh * outW + ow, v);
                        }
                    }
                }
            }
        }
    }

    public void col2im(ConvGeometry g, MemorySegment columns, long columnsOffset, MemorySegment image, long imageOffset) {
        int outH = g.outHeight();
        int outW = g.outWidth();
        long row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    long source = columnsOffset + row * outH * outW;
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        if (ih < 0 || ih >= g.height()) {
                            continue;
                        }
                        long target = imageOffset + ((long) c * g.height() + ih) * g.width();
                        for (int ow = 0; ow < outW; ow++) {
                            int iw = ow * g.strideWidth() - g.padWidth() + kw;
                            if (iw >= 0 && iw < g.width()) {
                                float v = columns.getAtIndex(JAVA_FLOAT, source + (long) oh * outW + ow);
                                image.setAtIndex(JAVA_FLOAT, target + iw, image.getAtIndex(JAVA_FLOAT, target + iw) + v);
                            }
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ pooling

    public void pool2d(PoolGeometry g, boolean max, int planes, MemorySegment x, long xOffset, MemorySegment y,
            long yOffset, MemorySegment argmax) {
        int outH = g.outHeight();
        int outW = g.outWidth();
        float area = g.kernelHeight() * g.kernelWidth();
        for (int p = 0; p < planes; p++) {
            long in = xOffset + (long) p * g.height() * g.width();
            long out = (long) p * outH * outW;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bestIndex = -1;
                    double sum = 0;
                    for (int kh = 0; kh < g.kernelHeight(); kh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        for (int kw = 0; kw < g.kernelWidth(); kw++) {
                            int iw = ow * g.strideWidth() - g.padWidth() + kw;
                            if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) {
                                continue;
                            }
                            int index = ih * g.width() + iw;
                            float v = x.getAtIndex(JAVA_FLOAT, in + index);
                            sum += v;
                            if (v > best || bestIndex < 0) {
                                best = v;
                                bestIndex = index;
                            }
                        }
                    }
                    long o = out + (long) oh * outW + ow;
                    y.setAtIndex(JAVA_FLOAT, yOffset + o, max ? best : (float) (sum / area));
                    if (max && argmax != null) {
                        argmax.setAtIndex(JAVA_INT, o, bestIndex);
                    }
                }
            }
        }
    }

    public void pool2dBackward(PoolGeometry g, boolean max, int planes, MemorySegment dy, long dyOffset,
            MemorySegment argmax, MemorySegment dx, long dxOffset) {
        int outH = g.outHeight();
        int outW = g.outWidth();
        float area = g.kernelHeight() * g.kernelWidth();
        for (int p = 0; p < planes; p++) {
            long in = dxOffset + (long) p * g.height() * g.width();
            long out = (long) p * outH * outW;
            for (int oh = 0; oh < outH; oh++) {
                for (int ow = 0; ow < outW; ow++) {
                    long o = out + (long) oh * outW + ow;
                    float grad = dy.getAtIndex(JAVA_FLOAT, dyOffset + o);
                    if (max) {
                        long target = in + argmax.getAtIndex(JAVA_INT, o);
                        dx.setAtIndex(JAVA_FLOAT, target, dx.getAtIndex(JAVA_FLOAT, target) + grad);
                        continue;
                    }
                    for (int kh = 0; kh < g.kernelHeight(); kh++) {
                        int ih = oh * g.strideHeight() - g.padHeight() + kh;
                        for (int kw = 0; kw < g.kernelWidth(); kw++) {
                            int iw = ow * g.strideWidth() - g.padWidth() + kw;
                            if (ih >= 0 && ih < g.height() && iw >= 0 && iw < g.width()) {
                                long target = in + (long) ih * g.width() + iw;
                                dx.setAtIndex(JAVA_FLOAT, target, dx.getAtIndex(JAVA_FLOAT, target) + grad / area);
                            }
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ normalisation

    public void layerNorm(int rows, int cols, float eps, MemorySegment x, long xOffset, MemorySegment gamma,
            MemorySegment beta, MemorySegment y, long yOffset, MemorySegment mean, MemorySegment rstd) {
        for (int r = 0; r < rows; r++) {
            long xi = xOffset + (long) r * cols;
            long yi = yOffset + (long) r * cols;
            double mu = lanes.sum(x, xi, cols) / cols;
            double variance = 0;
            for (int c = 0; c < cols; c++) {
                double d = x.getAtIndex(JAVA_FLOAT, xi + c) - mu;
                variance += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(variance / cols + eps));
            mean.setAtIndex(JAVA_FLOAT, r, (float) mu);
            rstd.setAtIndex(JAVA_FLOAT, r, inv);
            for (int c = 0; c < cols; c++) {
                float normalised = (x.getAtIndex(JAVA_FLOAT, xi + c) - (float) mu) * inv;
                y.setAtIndex(JAVA_FLOAT, yi + c,
                        normalised * gamma.getAtIndex(JAVA_FLOAT, c) + beta.getAtIndex(JAVA_FLOAT, c));
            }
        }
    }

    public void layerNormBackward(int rows, int cols, MemorySegment dy, long dyOffset, MemorySegment x, long xOffset,
            MemorySegment mean, MemorySegment rstd, MemorySegment gamma, MemorySegment dx, long dxOffset,
            MemorySegment dgamma, MemorySegment dbeta) {
        for (int r = 0; r < rows; r++) {
            long xi = xOffset + (long) r * cols;
            long dyi = dyOffset + (long) r * cols;
            long dxi = dxOffset + (long) r * cols;
            float mu = mean.getAtIndex(JAVA_FLOAT, r);
            float inv = rstd.getAtIndex(JAVA_FLOAT, r);
            double sumG = 0;
            double sumGx = 0;
            for (int c = 0; c < cols; c++) {
                float xhat = (x.getAtIndex(JAVA_FLOAT, xi + c) - mu) * inv;
                float d = dy.getAtIndex(JAVA_FLOAT, dyi + c);
                float g = d * gamma.getAtIndex(JAVA_FLOAT, c);
                sumG += g;
                sumGx += g * xhat;
                dgamma.setAtIndex(JAVA_FLOAT, c, dgamma.getAtIndex(JAVA_FLOAT, c) + d * xhat);
                dbeta.setAtIndex(JAVA_FLOAT, c, dbeta.getAtIndex(JAVA_FLOAT, c) + d);
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
    }

    public void batchNorm(int n, int channels, int spatial, boolean training, float momentum, float eps, MemorySegment x,
            long xOffset, MemorySegment gamma, MemorySegment beta, MemorySegment runningMean,
            MemorySegment runningVar, MemorySegment y, long yOffset, MemorySegment mean, MemorySegment rstd) {
        long count = (long) n * spatial;
        for (int c = 0; c < channels; c++) {
            float mu;
            float inv;
            if (training) {
                double sum = 0;
                for (int b = 0; b < n; b++) {
                    sum += lanes.sum(x, xOffset + ((long) b * channels + c) * spatial, spatial);
                }
                double m = sum / count;
                double squares = 0;
                for (int b = 0; b < n; b++) {
                    long base = xOffset + ((long) b * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++) {
                        double d = x.getAtIndex(JAVA_FLOAT, base + s) - m;
                        squares += d * d;
                    }
                }
                double biased = squares / count;
                double unbiased = count > 1 ? squares / (count - 1) : biased;
                mu = (float) m;
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
            float shift = beta.getAtIndex(JAVA_FLOAT, c) - mu * scale;
            for (int b = 0; b < n; b++) {
                long base = ((long) b * channels + c) * spatial;
                for (int s = 0; s < spatial; s++) {
                    float v = x.getAtIndex(JAVA_FLOAT, xOffset + base + s);
                    y.setAtIndex(JAVA_FLOAT, yOffset + base + s, v * scale + shift);
                }
            }
        }
    }

    public void batchNormBackward(int n, int channels, int spatial, MemorySegment dy, long dyOffset, MemorySegment x,
            long xOffset, MemorySegment mean, MemorySegment rstd, MemorySegment gamma, MemorySegment dx,
            long dxOffset, MemorySegment dgamma, MemorySegment dbeta) {
        long count = (long) n * spatial;
        for (int c = 0; c < channels; c++) {
            float mu = mean.getAtIndex(JAVA_FLOAT, c);
            float inv = rstd.getAtIndex(JAVA_FLOAT, c);
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int b = 0; b < n; b++) {
                long base = ((long) b * channels + c) * spatial;
                for (int s = 0; s < spatial; s++) {
                    float d = dy.getAtIndex(JAVA_FLOAT, dyOffset + base + s);
                    float xhat = (x.getAtIndex(JAVA_FLOAT, xOffset + base + s) - mu) * inv;
                    sumDy += d;
                    sumDyXhat += d * xhat;
                }
            }
            dgamma.setAtIndex(JAVA_FLOAT, c, dgamma.getAtIndex(JAVA_FLOAT, c) + (float) sumDyXhat);
            dbeta.setAtIndex(JAVA_FLOAT, c, dbeta.getAtIndex(JAVA_FLOAT, c) + (float) sumDy);
            float k = gamma.getAtIndex(JAVA_FLOAT, c) * inv / count;
            float meanDy = (float) sumDy;
            float meanDyXhat = (float) sumDyXhat;
            for (int b = 0; b < n; b++) {
                long base = ((long) b * channels + c) * spatial;
                for (int s = 0; s < spatial; s++) {
                    float d = dy.getAtIndex(JAVA_FLOAT, dyOffset + base + s);
                    float xhat = (x.getAtIndex(JAVA_FLOAT, xOffset + base + s) - mu) * inv;
                    float value = k * (count * d - meanDy - xhat * meanDyXhat);
                    long i = dxOffset + base + s;
                    dx.setAtIndex(JAVA_FLOAT, i, dx.getAtIndex(JAVA_FLOAT, i) + value);
                }
            }
        }
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
        for (long i = 0; i < count; i++) {
            boolean keep = uniform(seed, i) >= p;
            mask.setAtIndex(JAVA_FLOAT, i, keep ? 1f : 0f);
            y.setAtIndex(JAVA_FLOAT, yOffset + i, keep ? x.getAtIndex(JAVA_FLOAT, xOffset + i) * keepScale : 0f);
        }
    }

    /** A uniform [0, 1) draw for element {@code i}: SplitMix64 of (seed, i), counter-based. */
    static float uniform(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 40) * 0x1.0p-24f;
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
